"""SignalMesh connector for the TikTok Events API 2.0 (Business API v1.3).

The entry point ``signalmesh: tiktok`` loads ``signalmesh_tiktok.connector``, whose hook
registers ``TikTokConnector``. ``normalize`` holds TikTok's rules for the ``user`` object.
"""
