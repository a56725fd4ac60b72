# contrib/: what vmboot ships for the tools around it.

# --- systemd: the vmboot@.service template (contrib/systemd) ----------------
# Generated with the configured bindir; installed to configure's
# --with-systemdsystemunitdir (default: systemd.pc's systemdsystemunitdir);
# built even when not installed, so tests/service can verify it.
VB_SYSTEMD_UNIT_FILE = contrib/systemd/vmboot@.service
systemdsystemunitdir = @systemdsystemunitdir@
if VB_SYSTEMD_UNIT
systemdsystemunit_DATA = $(VB_SYSTEMD_UNIT_FILE)
else
noinst_DATA += $(VB_SYSTEMD_UNIT_FILE)
endif
CLEANFILES += $(VB_SYSTEMD_UNIT_FILE)
EXTRA_DIST += contrib/systemd/vmboot@.service.in
# Rewritten whenever the Makefile is, like vb-paths.h: only make knows the
# expanded bindir.
$(VB_SYSTEMD_UNIT_FILE): $(srcdir)/contrib/systemd/vmboot@.service.in Makefile
	$(AM_V_GEN)$(MKDIR_P) contrib/systemd && \
	sed -e 's|@bindir[@]|$(bindir)|g' $(srcdir)/contrib/systemd/vmboot@.service.in >$@-t && \
	mv -f $@-t $@
# make distcheck installs into a scratch prefix, never into systemd's own
# directory.
AM_DISTCHECK_CONFIGURE_FLAGS += \
	--with-systemdsystemunitdir='$$dc_install_base/$(systemdsystemunitdir)'

# --- fleets: example task and pod for Nomad and Kubernetes ------------------
# Documented in README.md, parsed by tests/service/test_fleet.sh.
fleetexamplesdir = $(docdir)/examples
dist_fleetexamples_DATA = contrib/nomad/vmboot.nomad.hcl contrib/kubernetes/vmboot-pod.yaml

# --- bash completion (contrib/bash-completion/vmboot) ------------------------
# Under $(datadir), where bash-completion looks for it (XDG_DATA_DIRS,
# /usr/local/share:/usr/share by default, and ~/.local/share), rather than
# at bash-completion.pc's completionsdir: an absolute /usr path, outside any
# other prefix (and make distcheck's). make install bashcompletiondir=DIR
# puts it elsewhere. Tested by tests/cli/test_completion.sh.
bashcompletiondir = $(datadir)/bash-completion/completions
dist_bashcompletion_DATA = contrib/bash-completion/vmboot

# --- JSON Schema of the machine file (vmboot schema) -------------------------
# For editors (README.md: the yaml-language-server line) and scripts.
# Written by the vmboot just built, from the key tables --check uses, so
# the installed schema is always this vmboot's (a cross build would need a
# native vmboot here). Tested by tests/cli/test_schema.sh.
nodist_pkgdata_DATA = machine.schema.json
CLEANFILES += machine.schema.json
machine.schema.json: vmboot$(EXEEXT)
	$(AM_V_GEN)./vmboot$(EXEEXT) schema >$@-t && mv -f $@-t $@

# --- Emacs: vmboot-mode (contrib/emacs) --------------------------------------
# The source only, in $(datadir)/emacs/site-lisp: on Emacs's load-path for
# the /usr/local prefix (Debian's site-lisp for /usr), and it needs no
# compiling (Debian's emacsen-common compiles only packaged files). No
# configure check for emacs: building vmboot must not need it. Tested by
# tests/emacs/test_emacs.sh, which loads the tests beside it.
emacslispdir = $(datadir)/emacs/site-lisp
dist_emacslisp_DATA = contrib/emacs/vmboot-mode.el
EXTRA_DIST += contrib/emacs/vmboot-mode-tests.el
