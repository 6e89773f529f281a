"""SignalMesh connector for the LinkedIn Conversions API.

The entry point ``signalmesh: linkedin`` loads ``signalmesh_linkedin.connector``, whose hook
registers ``LinkedInConnector``. ``normalize`` holds LinkedIn's identifier rules.
"""
