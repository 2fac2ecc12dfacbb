#!/usr/bin/env bash
# The README's test command: installs what the tests need when it is missing (Open MPI, MPICH,
# iproute2; see build/install-test-dependencies.sh), then runs every test of the solution.
# Extra arguments go to dotnet test (CI passes --no-build after its own build).
set -euo pipefail
cd "$(dirname "$0")/.."
build/install-test-dependencies.sh
dotnet test TinyGpt.sln -c Release "$@"
