"""SignalMesh connector for the Meta (Facebook) Conversions API.

The entry point ``signalmesh: meta`` loads ``signalmesh_meta.connector``, whose hook registers
``MetaConnector``. ``normalize`` holds Meta's customer-information rules.
"""
