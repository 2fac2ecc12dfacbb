#!/usr/bin/env bash
# Installs what the tests need beyond the .NET SDK, when it is missing, on Debian or Ubuntu:
# Open MPI (the distributed tests launch mpirun), MPICH (the tests of the MPICH side of the
# binding), iproute2 (the two-host test joins two network namespaces). Uses sudo when not root.
# Elsewhere it says what to install and stops.
set -euo pipefail

need=()
command -v mpirun >/dev/null 2>&1 || need+=(openmpi-bin)
ldconfig -p 2>/dev/null | grep -q 'libmpi.so.40' || need+=(libopenmpi3)
command -v mpiexec.mpich >/dev/null 2>&1 || need+=(mpich)
command -v ip >/dev/null 2>&1 || need+=(iproute2)
command -v setpriv >/dev/null 2>&1 || need+=(util-linux)

if [ ${#need[@]} -gt 0 ]; then
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "tests: missing ${need[*]}; install Open MPI and MPICH with your package manager (see docs/distributed.md)." >&2
    exit 1
  fi
  sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  echo "tests: installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# With both installed, plain mpirun must stay Open MPI's (the tests pass Open MPI options to it).
if [ -x /usr/bin/mpirun.openmpi ] && command -v update-alternatives >/dev/null 2>&1; then
  sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  "${sudo[@]}" update-alternatives --set mpirun /usr/bin/mpirun.openmpi >/dev/null 2>&1 || true
fi
