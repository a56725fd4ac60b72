# tests/layers: the include and call order of src/ against the layer table
# in ARCHITECTURE.md (check_layers.sh, which a developer may also run by
# hand: tests/layers/check_layers.sh src ARCHITECTURE.md [BUILDDIR]).
TESTS += tests/layers/test_layers.sh
EXTRA_DIST += tests/layers/test_layers.sh tests/layers/check_layers.sh
