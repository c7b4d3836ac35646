#!/usr/bin/env bash
# Installs the Debian 12 packages rectify needs. Idempotent: skips what is present.
# Usage: scripts/setup.sh [--peers] [--screenshots]   (--peers also installs oneDNN and Eigen for
# bench/compare; --screenshots, Chromium for scripts/report_screenshots.sh)
set -euo pipefail

# What each package is for (see README "Dependencies").
packages=(
  cmake ninja-build g++ pkg-config # build
  libhwy-dev                       # SIMD kernels with runtime dispatch, vector exp/expm1/tanh
  libopenblas-openmp-dev           # CBLAS GEMM, OpenBLAS's OpenMP build: one thread pool with ours
  zlib1g-dev                       # gzip IDX files
  libcli11-dev                     # command-line parsing
  nlohmann-json3-dev               # JSON output and checkpoint headers
  libfmt-dev                       # formatting
  libgtest-dev libgmock-dev libxml2-utils # tests
  libbenchmark-dev                 # micro-benchmarks
  clang-format                     # formatting check
  clang libclang-rt-14-dev libomp-dev # fuzz and tsan presets: libFuzzer and sanitizer runtimes, OpenMP
  dataset-fashion-mnist            # the real data set (falls back to the embedded sample)
  python3-dev pybind11-dev python3-pybind11 python3-numpy # the Python package (python/)
  python3-pytest                   # its tests
  python3-torch                    # rectify.torch and its tests; PyTorch beside rectify in bench/
  libtorch-dev                     # rectify.torch's C++ operator (torch.ops.rectify): its headers
  libopenmpi-dev openmpi-bin       # MPI: data-parallel training and the lab across ranks (mpirun)
)
for option in "$@"; do
  case $option in
    --peers) packages+=(libdnnl-dev libeigen3-dev) ;;
    --screenshots) packages+=(chromium fonts-dejavu-core) ;;
    *) echo "setup: unknown option $option (known: --peers, --screenshots)" >&2; exit 2 ;;
  esac
done

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "setup: all ${#packages[@]} packages present"
  exit 0
fi

sudo_cmd=()
if ((EUID != 0)); then
  command -v sudo >/dev/null || { echo "setup: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo_cmd=(sudo)
fi
echo "setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "setup: done"
