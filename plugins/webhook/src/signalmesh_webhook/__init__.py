"""SignalMesh connector for any HTTPS endpoint: conversions as HMAC-signed JSON.

The entry point ``signalmesh: webhook`` loads ``signalmesh_webhook.connector``, whose hook
registers ``WebhookConnector``. ``normalize`` holds the hashing rules, ``payload`` the per-event
JSON, ``batching`` the signed requests and ``responses`` the classification of answers.
"""
