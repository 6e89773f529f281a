"""SignalMesh connector for Google Ads offline click conversions (``uploadClickConversions``).

The entry point ``signalmesh: google_ads`` loads ``signalmesh_google_ads.connector``, whose hook
registers ``GoogleAdsConnector``. ``normalize`` holds Google's hashing rules.
"""
