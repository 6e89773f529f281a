"""The Redis store over TLS: a ``rediss://`` URL reaches a TLS-only redis-server (certificates
from `signalmesh certs`) and the store works through it; plaintext and an untrusted CA do not."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from signalmesh.certs import CertificateFiles, write_development_certificates
from signalmesh.config import config_from_mapping
from signalmesh.store import open_store

from tests.support.tls_redis_server import tls_redis_server, tls_url

pytestmark = pytest.mark.redis


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> CertificateFiles:
    return write_development_certificates(tmp_path_factory.mktemp("certs"))


@pytest.fixture(scope="module")
def rediss_url(tmp_path_factory: pytest.TempPathFactory, certs: CertificateFiles) -> Iterator[str]:
    with tls_redis_server(tmp_path_factory.mktemp("redis-tls"), certs) as url:
        yield url


async def test_a_store_round_trip_over_rediss(rediss_url: str, tmp_path: Path) -> None:
    config = config_from_mapping(
        {
            "state_dir": str(tmp_path),
            "store": {"backend": "redis", "redis_url": rediss_url, "redis_namespace": "tls-test"},
        },
        {},
        source=None,
    )
    store = open_store(config)
    try:
        assert await store.claim_dedup_keys(["meta:tls-1"], 60.0, now=1000.0) == [True]
        assert await store.claim_dedup_keys(["meta:tls-1"], 60.0, now=1001.0) == [False]
        assert await store.dedup_keys_claimed(["meta:tls-1", "meta:tls-2"], 60.0, now=1002.0) == [True, False]
    finally:
        await store.close()


def test_the_tls_port_refuses_plaintext_and_an_untrusted_ca(rediss_url: str, tmp_path: Path) -> None:
    port = int(rediss_url.split(":")[2].split("/")[0])
    other = write_development_certificates(tmp_path / "other")
    for url in (f"redis://127.0.0.1:{port}/0", tls_url(port, other.ca_cert)):
        client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
        try:
            with pytest.raises(redis.RedisError):
                client.ping()
        finally:
            client.close()
