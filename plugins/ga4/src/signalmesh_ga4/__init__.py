"""SignalMesh connector for the Google Analytics 4 Measurement Protocol.

The entry point ``signalmesh: ga4`` loads ``signalmesh_ga4.connector``, whose hook registers
``Ga4Connector``. ``normalize`` holds Google's user-provided-data rules, ``names`` GA4's event
names.
"""
