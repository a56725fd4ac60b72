#!/bin/sh
# Smoke test of the vbtest= mechanism: proves a selected script runs.
echo "VMBOOT-GUEST: hello.uname=$(uname -m)"
