"""Downloads from canonical sources, each checked against a known sha256 (pooch).

Files live under paths.data_cache() (moved by $COMMUNITY_SCALING_DATA) at the
same relative paths as in the registry, so a folder of mirrors (tests point at
../shared/data) is used as it is. A cached file whose hash does not match is
reported and fetched again; when the network is not there, the error names the
file, its URL and where to put a copy by hand.
"""

from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import quote

import pooch

from .io import InputError, sha256_file
from .paths import DATA_CACHE_ENV, data_cache

log = logging.getLogger(__name__)

_POPQUORN = ("https://raw.githubusercontent.com/Jiaxin-Pei/Potato-Prolific-Dataset/"
             "c329119e878037654f6aa59b319aae6e996585bb/dataset/offensiveness/raw_data.csv")
_EPIC = ("https://raw.githubusercontent.com/simonasnow/MultilingualPerspectivistNLU/"
         "70840392e827a0f8e8a63c7bef508ea9b860925f/code/EPIC/split_data/")
_BENCHMARK = ("https://raw.githubusercontent.com/google-research/google-research/"
              "9853680c781781bd8d3de20aa61c7373ce059913/revisiting_neural_scaling_laws/data/")

_EPIC_SHA256 = {
    "epic/Australia_train_set.csv": "94b708316df97ecdffbe66e8814aeca27c82c21b01fca4972a4feee785bcfe6b",
    "epic/Australia_validation_set.csv": "64d7435be55dade112b7a30da3297d1f1795f8c5c47e074a817888a3cbbb3af8",
    "epic/Boomer_train_set.csv": "4ec17ffb425f16c18efec36bdde6756c568f23387d74180780beafde2bf22874",
    "epic/Boomer_validation_set.csv": "02d52bb61dbfad44758e5742d1b7b08c7d15a3a2746666a1374d9e886f6b3929",
    "epic/Female_train_set.csv": "9f12fa513305cabc8dde99b3af91915256f3711cf691e772b3c512cc2c98fb4f",
    "epic/Female_validation_set.csv": "d3d8d56315486c1bba1340dc4692e80b492c8de13c6cc13b155cefb20461590b",
    "epic/GenX_train_set.csv": "e4a4904361f54f9a9e0a6dedcc1c587d711812ad54825aa48a3caa4b9f6ca9b5",
    "epic/GenX_validation_set.csv": "e1c315bdfb99f28c5c68feba79bce48d2385e4844fc74831f9519575c6e35b80",
    "epic/GenY_train_set.csv": "b3e4f28169d6dc62bad61ac3fc15fdcaf9713e65983a1ac8b8e681e5a218e928",
    "epic/GenY_validation_set.csv": "f571dfde92828156deb3f16c463fa54af77ccb36325113abef17b74c170fdb74",
    "epic/GenZ_train_set.csv": "2af8754c62b526f8dcd54b2835174204da5e882d6a39c666854d27bd5f65c80c",
    "epic/GenZ_validation_set.csv": "bb3a38538585a7d0cd1cc121c48e4648a42e3c1a53598c8ce2dacbf15706eff0",
    "epic/India_train_set.csv": "8f2db55ef7342b1d12e326c8d6125131febe66b44284015e9a3f121479124cc5",
    "epic/India_validation_set.csv": "b338d6f2f4a5c6f4df15535c7aa74791dfa1743cbeb7c9f8fc46b069463a2227",
    "epic/Ireland_train_set.csv": "85c7b731afa296e92e11f8210a916744f52f3ca8c5fe4486acb2b6e297b72701",
    "epic/Ireland_validation_set.csv": "30a8df92fa5d53201bb11c7cdc9337ef3e89a8774ed0b4167e3e5a9c5d5746ee",
    "epic/Male_train_set.csv": "6c7c484b53c59915cee28533e8b9a2a2c3ccef565375629728a59f5ed4394f93",
    "epic/Male_validation_set.csv": "a477e380834a1b55913354e51626c936d2d28dfb75ecc8c19b7871d75d928a05",
    "epic/United Kingdom_train_set.csv": "999b6afa59eaff7f0cb1341d3a52e3332e030edb0b3c1f496fdde3e1cde69e67",
    "epic/United Kingdom_validation_set.csv": "81459ed4df71d25c2f7c1a439332ec448fc6688fc53a5d30e228cd34555d4999",
    "epic/United States_train_set.csv": "45fccded4b647239d1a6a3b4f9bbefe2f543f9800ddb853513dc6bbc73e5f698",
    "epic/United States_validation_set.csv": "a52e3bbb16cf396f195868eb31bf2e73fd34cac2339f77007f09b441ab3fabf9",
    "epic/aggregated_test_set.csv": "413238ad69604376c62afb600a0f49ea993ed974e0e117ab0e5648294107f8f3",
}

# relative path in the cache -> (canonical URL, sha256)
REGISTRY: dict[str, tuple[str, str]] = {
    # POPQUORN (Pei & Jurgens 2023): no licence stated upstream, so it is fetched, never redistributed.
    "popquorn/offensiveness_raw_data.csv": (
        _POPQUORN, "fb0589093d45da76bf4ef4d0abff679b540bdd5b17af5764913b3ccd0a069e1e"),
    # Learning curves of Alabdulmohsin, Neyshabur & Zhai (2022), Apache-2.0.
    "scaling_benchmark/benchmark.vision.csv": (
        _BENCHMARK + "benchmark.vision.csv", "23b00692d71e58aa5a2a941e831d57688e0977fdcf5f5125ff7b64283b5d9e83"),
    "scaling_benchmark/benchmark.lang.csv": (
        _BENCHMARK + "benchmark.lang.csv", "63c346db00a66b692e1ea9a0f71a2f2b267e55f74be5b863a92e199dffbf0983"),
    # EPIC irony labels per rater group (Frenda et al. 2023), CC0.
    **{name: (_EPIC + quote(name.removeprefix("epic/")), digest) for name, digest in _EPIC_SHA256.items()},
}

# relative path in the cache -> canonical URL, for sources with no known sha256. fetch() takes
# them trust-on-first-use (fetch_url with digest None): the caller records the sha256 of what it read.
UNPINNED: dict[str, str] = {
    # DICES-350 (Aroyo et al. 2023), CC BY 4.0. No mirror was made and the upstream README publishes
    # no checksum, so no hash is pinned here; the URL follows the repository's main branch.
    "dices/diverse_safety_adversarial_dialog_350.csv": (
        "https://raw.githubusercontent.com/google-research-datasets/dices-dataset/main/350/"
        "diverse_safety_adversarial_dialog_350.csv"),
}


def fetch(name: str, cache: str | Path | None = None, timeout: float = 30) -> Path:
    """Local path of a registered file, downloading (again) unless a copy with the right hash is cached.

    A name in UNPINNED is fetched without a hash check (trust on first use, see fetch_url).
    """
    if name in UNPINNED:
        return fetch_url(name, UNPINNED[name], None, cache, timeout)
    if name not in REGISTRY:
        raise InputError(f"no registered download {name!r}; known: {sorted(REGISTRY)[:5]}...")
    url, digest = REGISTRY[name]
    return fetch_url(name, url, digest, cache, timeout)


def fetch_url(name: str, url: str, digest: str | None, cache: str | Path | None = None, timeout: float = 30) -> Path:
    """Local path of `url`, cached as `name` under the data cache and checked against `digest`.

    With `digest` None (a source that publishes no checksum, such as the Census Bureau's
    zips) a cached copy is used as it is and a download is not checked: the caller
    records what it got (trust on first use) and checks it from then on.
    """
    folder = data_cache(cache)
    target = folder / name
    if target.exists():
        if digest is None:
            return target
        found = sha256_file(target)
        if found == digest:
            return target
        log.warning("%s: sha256 %s does not match the expected %s (corrupt or truncated); fetching it again",
                    target, found[:12], digest[:12])
    known = f"sha256:{digest}" if digest else None
    try:
        path = pooch.retrieve(url, known_hash=known, fname=target.name, path=target.parent,
                              downloader=pooch.HTTPDownloader(timeout=timeout, progressbar=False))
    except ValueError as exc:  # pooch: the downloaded file's hash does not match
        raise InputError(f"{name}: the file downloaded from {url} does not match sha256 {digest}: {exc}") from exc
    except Exception as exc:  # no network, HTTP error, read-only cache
        expected = f" (sha256 {digest})" if digest else ""
        raise InputError(
            f"cannot download {name} from {url} ({type(exc).__name__}: {exc}). "
            f"Download it by hand and save it as {target}{expected}, "
            f"or set {DATA_CACHE_ENV} to a folder that holds {name}.") from exc
    return Path(path)
