"""NCP's sites: the public one, the government one and the financial one, each its own API.

Each site has its own API Gateway and its own regions, and accounts, keys and images do not
cross between them. `--site` (or NCLOUD_SITE) picks the gateway a live run calls when
NCLOUD_API_GW does not name one, and the packaged scenario the simulator plays. Pure: no I/O.

Sources: the Server overview's API URL (api.ncloud-docs.com, compute-server, ko/en/ja,
2026-09-17: ncloud.apigw.ntruss.com; api-gov.ncloud-docs.com, compute-server, ko:
ncloud.apigw.gov-ntruss.com, regions KR and KRS). The financial site's gateway and region
(fin-ncloud.apigw.fin-ntruss.com, FKR) are as the project's issue 28 gives them: no stored
page confirms them, so check them on a first run there (NCLOUD_API_GW overrides).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from harness.core.errors import ConfigError

__all__ = ["SITES", "Site", "site_named", "site_of_endpoint"]


@dataclass(frozen=True)
class Site:
    """One NCP site: its name, its API Gateway and the regions its accounts have."""

    name: str
    endpoint: str
    regions: tuple[str, ...]
    scenario: str
    """The packaged simulator scenario that plays an account of this site."""


SITES: Mapping[str, Site] = {
    "public": Site("public", "https://ncloud.apigw.ntruss.com", ("KR", "SGN", "JPN"),
                   "default.toml"),
    "gov": Site("gov", "https://ncloud.apigw.gov-ntruss.com", ("KR", "KRS"), "gov.toml"),
    "fin": Site("fin", "https://fin-ncloud.apigw.fin-ntruss.com", ("FKR",), "fin.toml"),
}


def site_named(name: str | None, environ: Mapping[str, str] | None = None) -> Site:
    """The site `name` names, else NCLOUD_SITE's, else the public one; ConfigError if unknown."""
    chosen = name or (environ or {}).get("NCLOUD_SITE") or "public"
    site = SITES.get(chosen.strip().lower())
    if site is None:
        where = "--site" if name else "NCLOUD_SITE"
        raise ConfigError(f"{where}={chosen!r} is not an NCP site; expected one of"
                          f" {', '.join(SITES)}")
    return site


def site_of_endpoint(endpoint: str) -> Site | None:
    """The site whose API Gateway `endpoint` is (by host), or None for any other host."""
    host = (urlsplit(endpoint).hostname or "").lower()
    return next((s for s in SITES.values() if urlsplit(s.endpoint).hostname == host), None)
