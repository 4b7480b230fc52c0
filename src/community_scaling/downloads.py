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

from . import _pythia_sha256
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

# Published language-model results (llm_results.py), at pinned commits so the hashes hold.
_HARNESS = ("https://raw.githubusercontent.com/EleutherAI/lm-evaluation-harness/"
            "5e59782e861391d4130b6cfccd9bf88c0f491d09/results/")
_PYTHIA = ("https://raw.githubusercontent.com/EleutherAI/pythia/"
           "a19eecb807ec2c79a39ebf18108816e6ffffc1d5/evals/pythia-v1/")
_BIGSCIENCE = ("https://raw.githubusercontent.com/bigscience-workshop/bigscience/"
               "9e64edec2ad1fb9263bf39ba616a84ff64b4d947/evaluation/results/tr11/")
# folder in the cache -> (its canonical URL, {path below it: sha256})
_LLM_EVALS: dict[str, tuple[str, dict[str, str]]] = {
    # lm-eval v0.3 results of BLOOM, XGLM and OPT, MIT (deleted upstream later; the pinned commit still serves them).
    "llm_evals/lm-evaluation-harness/results/": (_HARNESS, {
        "bloom/bloom-1b1/bloom-1b1_pawsx_0-shot.json": "6d6ac2c747fa2d54560db2a4527364077b4f88b4fa355c47ac15e72c7435f46f",
        "bloom/bloom-1b1/bloom-1b1_xcopa_0-shot.json": "67653f30b0a777ee20f86f9466525829bd74aee33efc82c8b98e863723a8a5c3",
        "bloom/bloom-1b1/bloom-1b1_xnli_0-shot.json": "42c758f14d4f3dc0e9360fcc2d2834cd9d087c975c1ed1f63fbd118d38d97bbd",
        "bloom/bloom-1b1/bloom-1b1_xstory_cloze_0-shot.json": "d2bce9a10dc13962f9c3314de90d16ab0ae7717a9d28ea77e46f78125e3c03c5",
        "bloom/bloom-1b1/bloom-1b1_xwinograd_0-shot.json": "4391aacd9d6e2c048a3d12867bfcafd10945ef7135404222d6dfa7badbef0dee",
        "bloom/bloom-1b7/bloom-1b7_pawsx_0-shot.json": "e5d59813113d97004eb176109c6851c2104ba4f5a1b22991b97da07992a283fa",
        "bloom/bloom-1b7/bloom-1b7_xcopa_0-shot.json": "275fedf67c55b1739005b0313b799b19078055c3a5901c4a03e397f6ea6ebf30",
        "bloom/bloom-1b7/bloom-1b7_xnli_0-shot.json": "071f8e612a6bceded8734e2eca309f6548dccf06611b127fe92a91f12119117a",
        "bloom/bloom-1b7/bloom-1b7_xstory_cloze_0-shot.json": "92e9f1e04b02f98c2d3821ea66e204e657e1731b5c5d3e2ba0b6daeeede139f0",
        "bloom/bloom-1b7/bloom-1b7_xwinograd_0-shot.json": "58aa235578b80c750fa2c425d2f2e85d90f5a267975e81193482cce6423f63d2",
        "bloom/bloom-3b/bloom-3b_pawsx_0-shot.json": "c202423cc5fe74ece2564bbe6b6771ae7952f3f9b2dc349c36764fa64ee425c9",
        "bloom/bloom-3b/bloom-3b_xcopa_0-shot.json": "2f0fe139dd5a76c59c8e6a5284e62bd20f03c8dfff8d1ac904c330b913605114",
        "bloom/bloom-3b/bloom-3b_xnli_0-shot.json": "81b3dfd8dddc6abe42ea7509d7000e41dcc35eda03aa1d6e410bcc07f7964d8c",
        "bloom/bloom-3b/bloom-3b_xstory_cloze_0-shot.json": "c83c186e5b93c5be35c5705da8dff404747fb06aa3e858d3a0a46c4fba9bfdff",
        "bloom/bloom-3b/bloom-3b_xwinograd_0-shot.json": "eb8c1cab781014d445ece40ba287bbd8687a5990e2884d5232e25ba0a456393d",
        "bloom/bloom-560m/bloom-560m_pawsx_0-shot.json": "2c554f09fd21e1fe0eda7d6ca7c24c3f8ff186e6602d0615b4d7cf5120c06324",
        "bloom/bloom-560m/bloom-560m_xcopa_0-shot.json": "83fdca6b1ef5391ad845718652c0846d8462c0c0113f8abb9941a26f6f065367",
        "bloom/bloom-560m/bloom-560m_xnli_0-shot.json": "99ac7abce2b5a752397a9794e8d0c04be09cca45d318e85b44c4a604648f460d",
        "bloom/bloom-560m/bloom-560m_xstory_cloze_0-shot.json": "a70995e0edee37e01eb5e08cdb2df389ec20942357376e8fe5e3f31bf496403f",
        "bloom/bloom-560m/bloom-560m_xwinograd_0-shot.json": "4cd0c11294978cfe490e365a5894452fb4d53b2f49ced834ad6719f8dee5aaa9",
        "bloom/bloom-7b1/bloom-7b1_pawsx_0-shot.json": "2bf607e8b5ebb61adf326e9df6fe020ed26114de0ad898a63c807e36a3bd1b68",
        "bloom/bloom-7b1/bloom-7b1_xcopa_0-shot.json": "297cc2fc92f0c1532621ec7dd60103f2db4f5effecd1b924c8a4076679ae6fb2",
        "bloom/bloom-7b1/bloom-7b1_xnli_0-shot.json": "3ad82d50778e570984b2610408ff76f1472686e33215060718ad193d31ba2ffd",
        "bloom/bloom-7b1/bloom-7b1_xstory_cloze_0-shot.json": "91e2b88bbe2db73cdf7d35d4a520d21c81d2a60638beda01d802b63052bc2657",
        "bloom/bloom-7b1/bloom-7b1_xwinograd_0-shot.json": "1c5c534aea76b16f1a74819a5a362260082039d8e5c74fe2d107c9f203b47321",
        "xglm/xglm-1.7B/xglm-1.7B_pawsx_0-shot.json": "6a372b680203d1ef93f877a8d0fd616312a0b793e2129971d20c51dfb06688db",
        "xglm/xglm-1.7B/xglm-1.7B_xcopa_0-shot.json": "38ef45e3922d16a146b2b8ca81048b39463d822a4351eebe78f528de5bdcf165",
        "xglm/xglm-1.7B/xglm-1.7B_xnli_0-shot.json": "01bd4eec360c52c1e46bdacfd026d63a8300221f6c6c165a67e1ce9ba41a03ed",
        "xglm/xglm-1.7B/xglm-1.7B_xstory_cloze_0-shot.json": "9561e238a011f3aa44141e5c459951820720236a2deb899a90cecb7d544cb11a",
        "xglm/xglm-1.7B/xglm-1.7B_xwinograd_0-shot.json": "5bbbde7f5f981717d8de8edefc9c771fe6201192137bebf11c6ba022517d9095",
        "xglm/xglm-2.9B/xglm-2.9B_pawsx_0-shot.json": "8ea294b068c852c279242ef08f572576d4217492a6336c564501ace90476604a",
        "xglm/xglm-2.9B/xglm-2.9B_xcopa_0-shot.json": "7a0089dfdb0abff7b0a41b0d485d9194bab42726ed0acd699fd1ee898a9d7f19",
        "xglm/xglm-2.9B/xglm-2.9B_xnli_0-shot.json": "907033f6d53d0a0db71ec680f444109d8ec9729180ba2684ad8d9d3a5044d9e6",
        "xglm/xglm-2.9B/xglm-2.9B_xstory_cloze_0-shot.json": "4619e458c1d4464726967d4f2a4e207776a37979d6adaaa230693a5c1f3cc289",
        "xglm/xglm-2.9B/xglm-2.9B_xwinograd_0-shot.json": "72cb6e138079d2dc47cb9da7cd3d1f463496e64b84af7893279579239f489cd4",
        "xglm/xglm-4.5B/xglm-4.5B_pawsx_0-shot.json": "923bd6b4c3feb7d42bd977a2f0f38adc473113ba3115d303add736ee7b0af515",
        "xglm/xglm-4.5B/xglm-4.5B_xcopa_0-shot.json": "f819e1c73e00b6bdf51ef2a3693a73ff46ef027fe263ccdfda8e052bb32d8114",
        "xglm/xglm-4.5B/xglm-4.5B_xnli_0-shot.json": "f4d0edd667cfd0d8fbf309245644e1656e516d2aa2279c456a1a2ff941b59353",
        "xglm/xglm-4.5B/xglm-4.5B_xstory_cloze_0-shot.json": "7e66819b7d5e72a637a8cd9b21c995ba19d457b5458c7bd8b42b8c9b7c0bb3b8",
        "xglm/xglm-4.5B/xglm-4.5B_xwinograd_0-shot.json": "7363ccb5c5987a9444a45f735c7f606f3571553a81c768936f056d2c0307a80e",
        "xglm/xglm-564M/xglm-564M_pawsx_0-shot.json": "4583675a1614f3892b79b03f407d371a4cbc427918126cc1ab37fbd4f74b8214",
        "xglm/xglm-564M/xglm-564M_xcopa_0-shot.json": "863f93eb1346f9b8a8338be46b45a7272164b0f1b96738b767ab9482cb13aa1b",
        "xglm/xglm-564M/xglm-564M_xnli_0-shot.json": "c92229adf65a6d98fd9f343b008a4620ba8308485214ca1679ddee56f1c58140",
        "xglm/xglm-564M/xglm-564M_xstory_cloze_0-shot.json": "ab5c957417d47bdc128ca81a4ff4adee7154b9bf68caf91a3c2fe40baa648887",
        "xglm/xglm-564M/xglm-564M_xwinograd_0-shot.json": "c994d03d46147c8dc8dc0eb103ea519a7849cc927ed1dd07feb5467fc8b9f3a6",
        "xglm/xglm-7.5B/xglm-7.5B_pawsx_0-shot.json": "d595ae4da120c8f5a5282e1699b920b31a664926ea7fe7be96f55204bdb8fd3f",
        "xglm/xglm-7.5B/xglm-7.5B_xcopa_0-shot.json": "af95d871acb0d2eb9b6c5d66610b55ba621bef117ebdca616f4a093a31090710",
        "xglm/xglm-7.5B/xglm-7.5B_xnli_0-shot.json": "5ee0d524a627d94454abbaa368ec017250086fb879d34339359e413f342fd354",
        "xglm/xglm-7.5B/xglm-7.5B_xstory_cloze_0-shot.json": "e87216b463a39d88f613cc4ecc083fdfb9991981d26a4812dca080eb04cc8963",
        "xglm/xglm-7.5B/xglm-7.5B_xwinograd_0-shot.json": "13760a876b2639f8dd7cb46a5befc7c10641d848c8ef6810b1916a115de9ad03",
        # OPT 125M-66B: MMLU's 57 subjects and general benchmarks, zero-shot, one file per size.
        "opt/opt-125m/opt-125m.json": "7c6d0a1a64d8c54b3c63aee677ff40e02a3925e2000419a7916dd0786bb649df",
        "opt/opt-350m/opt-350m.json": "1eab8492a36b6cb6b8e3cb6f090ba8563613cc1412797c20c72219852a1a8e73",
        "opt/opt-1.3b/opt-1.3b.json": "d63d79b53fa88c0aed61bea0fd45f5c23c3c3f9945e1764e85e532d58fae078f",
        "opt/opt-2.7b/opt-2.7b.json": "d30afb414b9ed39c7b4b0bf81e447153dd9432d3be2fcf8a281487778ee28b6c",
        "opt/opt-6.7b/opt-6.7b.json": "a19f1b31d2a5c3a11b111a350d4d90719d1132107a9d021488402598fa1c9358",
        "opt/opt-13b/opt-13b.json": "e5d8517c97a27dbcc392a4b9cfb71959b085668988e28f3c6b2fc32531bf266e",
        "opt/opt-30b/opt-30b.json": "3952592173ebd9c737b45da83bc0bbfe16db121a9770a3d6308c3680de8974a6",
        "opt/opt-66b/opt-66b.json": "cb62852a416c03621f9a6734c744f927593a233f38fbc626426954b9fc7aa989",
    }),
    # Pythia zero-shot results, Apache-2.0: 16 models x 27 checkpoints (steps 0-143000), 432 files. Which
    # of them a source reads is llm_results' business (pythia_crows_pairs: the final step only).
    "llm_evals/pythia/evals/pythia-v1/": (_PYTHIA, _pythia_sha256.SHA256),
    # BigScience evaluations of BLOOM and OPT-175B, FLORES-101 among them, Apache-2.0.
    "llm_evals/bigscience/evaluation/results/tr11/": (_BIGSCIENCE, {
        "bloom/bslmeval.json": "07aeef2955339cfec351367dee14679c3fc12b2b7f9ec7891f10478fd55f4760",
        "bloom1b3/bslmeval.json": "d849c543d6d88892b5645bd6d2246523d894c6dd378e14140ec0f32744ab6273",
        "bloom2b5/bslmeval.json": "5a0887e159613f0889aef88dcee79d46bba5bb49ddfaca90ca82356002b1bbb5",
        "opt/bslmeval.json": "b601c56741b179a2c6dbde93476d68bb5b51570058a7578cf66b371ff4cc34c0",
    }),
}

# relative path in the cache -> (canonical URL, sha256)
REGISTRY: dict[str, tuple[str, str]] = {
    # POPQUORN (Pei & Jurgens 2023): no licence stated upstream, so it is fetched, never redistributed.
    "popquorn/offensiveness_raw_data.csv": (
        _POPQUORN, "fb0589093d45da76bf4ef4d0abff679b540bdd5b17af5764913b3ccd0a069e1e"),
    # Observational scaling (Ruan, Maddison & Hashimoto 2024): 148 base models' benchmark accuracies with
    # parameters, training tokens and FLOPs, Apache-2.0 (ryoungj/ObsScaling).
    "obsscaling/eval_results/base_llm_benchmark_eval.csv": (
        "https://raw.githubusercontent.com/ryoungj/ObsScaling/4d6e1e43fd2635d04654aa77d1df9d5266ea0382/"
        "eval_results/base_llm_benchmark_eval.csv", "511996815735a4c46251dc585dcc525e370d148201f86561e6f927f9df2d0db8"),
    # Learning curves of Alabdulmohsin, Neyshabur & Zhai (2022), Apache-2.0.
    "scaling_benchmark/benchmark.vision.csv": (
        _BENCHMARK + "benchmark.vision.csv", "23b00692d71e58aa5a2a941e831d57688e0977fdcf5f5125ff7b64283b5d9e83"),
    "scaling_benchmark/benchmark.lang.csv": (
        _BENCHMARK + "benchmark.lang.csv", "63c346db00a66b692e1ea9a0f71a2f2b267e55f74be5b863a92e199dffbf0983"),
    # EPIC irony labels per rater group (Frenda et al. 2023), CC0.
    **{name: (_EPIC + quote(name.removeprefix("epic/")), digest) for name, digest in _EPIC_SHA256.items()},
    **{folder + path: (url + path, digest)
       for folder, (url, digests) in _LLM_EVALS.items() for path, digest in digests.items()},
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
    found = None  # the sha256 of a cached copy that does not match
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
        if found is not None:  # "save it as <target>" would name the file that is already there
            raise InputError(
                f"{name}: the cached copy at {target} has sha256 {found}, expected {digest} (corrupt, truncated or "
                f"another version), and a fresh copy cannot be downloaded from {url} ({type(exc).__name__}: {exc}). "
                f"Delete {target} and run again where the network is reachable, or replace it with a copy "
                f"whose sha256 is {digest}.") from exc
        expected = f" (sha256 {digest})" if digest else ""
        raise InputError(
            f"cannot download {name} from {url} ({type(exc).__name__}: {exc}). "
            f"Download it by hand and save it as {target}{expected}, "
            f"or set {DATA_CACHE_ENV} to a folder that holds {name}.") from exc
    return Path(path)
