# Shared by the launch scripts: system packages, toolchain path and mpirun settings.
# Source it; it defines functions and variables and changes nothing else.

MINILLM_APT_PACKAGES=(openmpi-bin libopenmpi-dev libopenblas-dev libhdf5-dev pkg-config)

# Installs the Debian packages the build needs, only those missing.
minillm_install_packages() {
  local missing=()
  for package in "${MINILLM_APT_PACKAGES[@]}"; do
    dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "==> installing ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# Puts the Swift toolchain on PATH when it is installed but not on PATH.
minillm_find_swift() {
  command -v swift >/dev/null 2>&1 && return 0
  [ -x /opt/swift/usr/bin/swift ] && export PATH="/opt/swift/usr/bin:$PATH" && return 0
  echo "error: no Swift toolchain found (install Swift 6 and put it on PATH)" >&2
  return 1
}

# mpirun as root and with more ranks than cores is allowed for tests; one OpenBLAS thread
# per rank since ranks share the cores.
export OMPI_ALLOW_RUN_AS_ROOT=1
export OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OPENBLAS_NUM_THREADS="${OPENBLAS_NUM_THREADS:-1}"
# TCP keepalive on Open MPI's control connections, so a host that drops off the network ends
# the job in seconds (docs/launching.md).
MINILLM_KEEPALIVE=(--mca oob_tcp_keepalive_time 5 --mca oob_tcp_keepalive_intvl 2 --mca oob_tcp_keepalive_probes 3)
MINILLM_MPIRUN=(mpirun --oversubscribe --allow-run-as-root "${MINILLM_KEEPALIVE[@]}")
