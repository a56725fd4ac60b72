;;; vmboot-mode-tests.el --- ERT tests for vmboot-mode  -*- lexical-binding: t; -*-

;; This program is free software; you can redistribute it and/or modify
;; it under the terms of the GNU General Public License as published by
;; the Free Software Foundation, either version 2 of the License, or (at
;; your option) any later version.

;;; Commentary:

;; Run by tests/emacs/test_emacs.sh (make check), which loads the
;; byte-compiled vmboot-mode first:
;;
;;   emacs --batch -l vmboot-mode.elc -l vmboot-mode-tests.el \
;;         -f ert-run-tests-batch-and-exit
;;
;; VB_BUILDDIR names the build tree whose vmboot the tests against the
;; real program use; VB_SRCDIR the source tree (for its fixtures).  The
;; other tests use fake vmboot scripts written to a temporary directory.

;;; Code:

(require 'ert)
(require 'cl-lib)
(require 'flymake)
(require 'vmboot-mode)

;;;; Helpers

(defun vmboot-test--source (file)
  "FILE in the source tree (VB_SRCDIR, else two levels above this file)."
  (expand-file-name file (or (getenv "VB_SRCDIR")
                             (expand-file-name "../.." (file-name-directory
                                                        (or load-file-name
                                                            buffer-file-name))))))

(defun vmboot-test--real-vmboot ()
  "The vmboot of VB_BUILDDIR, or nil if there is none."
  (let ((builddir (getenv "VB_BUILDDIR")))
    (when builddir
      (let ((program (expand-file-name "vmboot" builddir)))
        (and (file-executable-p program) program)))))

(defmacro vmboot-test--with-temp-dir (var &rest body)
  "Bind VAR to a new temporary directory while BODY runs; delete it then."
  (declare (indent 1))
  `(let ((,var (file-name-as-directory (make-temp-file "vmboot-test-" t))))
     (unwind-protect (progn ,@body)
       (delete-directory ,var t))))

(defun vmboot-test--write (file text &optional mode)
  "Write TEXT to FILE, with the file mode MODE if given."
  (with-temp-file file (insert text))
  (when mode (set-file-modes file mode))
  file)

(defmacro vmboot-test--with-buffer (text mode &rest body)
  "Run BODY in a buffer holding TEXT in major MODE, point at its \"|\".
Without a \"|\", point is at the start."
  (declare (indent 2))
  `(with-temp-buffer
     (insert ,text)
     (funcall ,mode)
     (goto-char (point-min))
     (when (search-forward "|" nil t)
       (delete-char -1))
     ,@body))

(defun vmboot-test--faces-at (pos)
  "The faces at POS, as a list."
  (let ((face (get-text-property pos 'face)))
    (if (and face (listp face)) face (list face))))

(defun vmboot-test--face-of (text &optional occurrence)
  "The faces at the start of the OCCURRENCE'th (1 default) TEXT in the buffer."
  (save-excursion
    (goto-char (point-min))
    (search-forward text nil nil (or occurrence 1))
    (vmboot-test--faces-at (match-beginning 0))))

;;;; Font-lock

(defconst vmboot-test--font-lock-text
  "# comment: cpus = 1; memory = \"1G\"; type = \"disk\";
name = \"web\";   // trailing comment
cpus = 2;
memory = \"512M\";
/* a block
   comment */
hugepages = true;
debug = { iodelay = 0x10; };
params = \"mem=2G quiet\";
devices = (
  { type = \"disk\"; path = \"images/root.img\"; readonly = false; }
);
")

(ert-deftest vmboot-font-lock ()
  "Keys, strings, numbers, sizes, booleans, comments and device types."
  (vmboot-test--with-buffer vmboot-test--font-lock-text #'vmboot-mode
    (font-lock-ensure)
    (should (memq 'font-lock-comment-face (vmboot-test--face-of "comment:")))
    ;; Nothing paints over a comment: keys, sizes, types in it stay comment.
    (should (equal '(font-lock-comment-face) (vmboot-test--face-of "cpus = 1")))
    (should (equal '(font-lock-comment-face) (vmboot-test--face-of "1G")))
    (should (equal '(font-lock-comment-face) (vmboot-test--face-of "disk")))
    (should (equal '(font-lock-variable-name-face) (vmboot-test--face-of "name =")))
    (should (equal '(font-lock-string-face) (vmboot-test--face-of "\"web\"")))
    (should (memq 'font-lock-comment-face (vmboot-test--face-of "trailing")))
    (should (equal '(font-lock-variable-name-face) (vmboot-test--face-of "cpus =" 2)))
    (should (equal '(vmboot-number-face) (vmboot-test--face-of "2;")))
    (should (equal '(vmboot-number-face) (vmboot-test--face-of "512M")))
    (should (equal '(font-lock-comment-face) (vmboot-test--face-of "comment */")))
    (should (equal '(font-lock-constant-face) (vmboot-test--face-of "true")))
    (should (equal '(font-lock-variable-name-face) (vmboot-test--face-of "iodelay")))
    (should (equal '(vmboot-number-face) (vmboot-test--face-of "0x10")))
    ;; A size inside a longer string is just string.
    (should (equal '(font-lock-string-face) (vmboot-test--face-of "2G quiet")))
    (should (equal '(font-lock-type-face) (vmboot-test--face-of "disk" 2)))
    (should (equal '(font-lock-string-face) (vmboot-test--face-of "\"disk\"" 2)))
    (should (equal '(font-lock-string-face) (vmboot-test--face-of "images/root.img")))
    (should (equal '(font-lock-constant-face) (vmboot-test--face-of "false")))
    (should (equal '(nil) (vmboot-test--face-of "= (")))))

;;;; Indentation

(defconst vmboot-test--messy
  "name = \"web\";
   cpus = 2;   # two
devices = (
{ type = \"disk\";
path = \"images/root.img\"; },
      {
 type = \"net\";
        forward = [
\"tcp::2222-:22\",
 \"tcp::8080-:80\"
    ];
    },
        { type = \"rng\"; }
   );
debug = {
ioport = true;
  };
params =
\"console=ttyS0 \"
        \"quiet\";
/* a comment
      stays as it is */
 tty = ( {
x = 1;
} );
")

(defconst vmboot-test--tidy
  "name = \"web\";
cpus = 2;   # two
devices = (
  { type = \"disk\";
    path = \"images/root.img\"; },
  {
    type = \"net\";
    forward = [
      \"tcp::2222-:22\",
      \"tcp::8080-:80\"
    ];
  },
  { type = \"rng\"; }
);
debug = {
  ioport = true;
};
params =
  \"console=ttyS0 \"
  \"quiet\";
/* a comment
      stays as it is */
tty = ( {
  x = 1;
} );
")

(ert-deftest vmboot-indent-region ()
  "A messy buffer indents to the expected text, offset 2 and 4."
  (vmboot-test--with-buffer vmboot-test--messy #'vmboot-mode
    (setq indent-tabs-mode nil)
    (indent-region (point-min) (point-max))
    (should (equal (buffer-string) vmboot-test--tidy)))
  (vmboot-test--with-buffer "devices = (\n{\ntype = \"rng\";\n}\n);\n" #'vmboot-mode
    (setq indent-tabs-mode nil)
    (setq-local vmboot-indent-offset 4)
    (indent-region (point-min) (point-max))
    (should (equal (buffer-string)
                   "devices = (\n    {\n        type = \"rng\";\n    }\n);\n"))))

(ert-deftest vmboot-indent-line-keeps-point ()
  "Point inside the text stays on its character; in the margin, goes to it."
  (vmboot-test--with-buffer "devices = (\n{ type = \"r|ng\"; }\n);\n" #'vmboot-mode
    (setq indent-tabs-mode nil)
    (indent-according-to-mode)
    (should (equal (buffer-substring (point) (line-end-position)) "ng\"; }"))
    (should (= (current-indentation) 2)))
  (vmboot-test--with-buffer "devices = (\n|    { type = \"rng\"; }\n);\n" #'vmboot-mode
    (setq indent-tabs-mode nil)
    (indent-according-to-mode)
    (should (= (current-column) 2))
    (should (looking-at-p "{ type"))))

;;;; Imenu

(ert-deftest vmboot-imenu ()
  "One entry per device, TYPE and id, else path, else vmboot's own id."
  (vmboot-test--with-buffer
      "# devices = ( { type = \"nope\"; } );
devices = (
  { type = \"disk\"; id = \"root\"; path = \"images/debian.img\"; },
  { type = \"net\"; },
  // { type = \"rng\"; id = \"commented\"; },
  { type = \"9p\"; path = \"shared\"; tag = \"shared\"; },
  { type = \"net\"; id = \"wan\"; forward = [ \"tcp::1-:1\" ]; },
  {
    type = \"net\";
    debug = { id = \"inner\"; };
  },
  { type = \"rng\"; }
);
other = { id = \"x\"; };
" #'vmboot-mode
    (let ((index (vmboot-imenu-create-index)))
      (should (equal (mapcar #'car index)
                     '("disk root" "net net0" "9p shared" "net wan" "net net2" "rng rng0")))
      (dolist (entry index)
        (should (eq (char-after (cdr entry)) ?{)))
      (goto-char (cdr (nth 3 index)))
      (should (looking-at-p "{ type = \"net\"; id = \"wan\"")))))

;;;; Choosing the mode

(ert-deftest vmboot-auto-mode ()
  "Machine .conf files open in vmboot-mode, other .conf files do not."
  (vmboot-test--with-temp-dir dir
    (let ((cases `(("web.conf" "devices = (\n  { type = \"rng\"; }\n);\n" vmboot-mode)
                   ("k.conf" "# a machine\nkernel = \"bzImage\";\n" vmboot-mode)
                   ("x.vmboot.conf" "cpus = 2;\n" vmboot-mode)
                   ("cookie.cfg" "# -*- vmboot -*-\ncpus = 2;\n" vmboot-mode)
                   ("other.conf" "[section]\nkey = value\n" nil)
                   ("script.py" "kernel = \"rbf\"\n" nil))))
      (pcase-dolist (`(,name ,text ,mode) cases)
        (let ((buffer (find-file-noselect
                       (vmboot-test--write (expand-file-name name dir) text))))
          (unwind-protect
              (with-current-buffer buffer
                (should (equal (list name (and (eq major-mode 'vmboot-mode) major-mode))
                               (list name mode))))
            (kill-buffer buffer)))))))

(ert-deftest vmboot-yaml-detection ()
  "vmboot-yaml-mode turns on in YAML machine files only."
  (dolist (case '(("name: web\nkernel: images/bzImage\n" . t)
                  ("# c\ndevices:\n  - type: rng\n" . t)
                  ("# yaml-language-server: $schema=/usr/share/vmboot/machine.schema.json\nname: x\n" . t)
                  ("# yaml-language-server: $schema=../machine.schema.json\nname: x\n" . t)
                  ("# yaml-language-server: $schema=https://example.com/k8s.json\nname: x\n" . nil)
                  ("apiVersion: v1\nkind: Pod\nspec:\n  devices: []\n" . nil)
                  ("services:\n  web:\n    image: nginx\n" . nil)))
    (with-temp-buffer
      (insert (car case))
      (vmboot-yaml-maybe-enable)
      (should (equal (list (car case) (and vmboot-yaml-mode t))
                     (list (car case) (cdr case))))
      (when vmboot-yaml-mode
        (should (memq #'vmboot-flymake flymake-diagnostic-functions))
        (should (memq #'vmboot-completion-at-point completion-at-point-functions))
        (vmboot-yaml-mode -1)
        (should-not (memq #'vmboot-flymake flymake-diagnostic-functions)))))
  (should (memq #'vmboot-yaml-maybe-enable yaml-mode-hook))
  (should (memq #'vmboot-yaml-maybe-enable yaml-ts-mode-hook)))

(ert-deftest vmboot-yaml-mode-hook ()
  "With yaml-mode installed, opening a YAML machine turns vmboot-yaml-mode on."
  (skip-unless (require 'yaml-mode nil t))
  (vmboot-test--with-temp-dir dir
    (dolist (case '(("web.yaml" "kernel: bzImage\ndevices:\n  - type: rng\n" t)
                    ("pod.yaml" "apiVersion: v1\nkind: Pod\n" nil)))
      (let ((buffer (find-file-noselect
                     (vmboot-test--write (expand-file-name (nth 0 case) dir) (nth 1 case)))))
        (unwind-protect
            (with-current-buffer buffer
              (should (derived-mode-p 'yaml-mode))
              (should (equal (list (nth 0 case) (and vmboot-yaml-mode t))
                             (list (nth 0 case) (nth 2 case)))))
          (kill-buffer buffer))))))

;;;; Flymake

(defconst vmboot-test--fake-text
  "#!/bin/sh
# A vmboot whose --check prints text diagnostics, each with the source
# line and caret vmboot prints under it; no --json, no schema.
dir=$(dirname \"$0\")
printf '%s\\n' \"$@\" >\"$dir/args\"
for arg; do
	file=$arg
	if [ \"$arg\" = --json ]; then
		echo 'vmboot: error: --json does not go with check' >&2
		exit 2
	fi
done
[ \"$1\" = schema ] && { echo 'vmboot: error: \"schema\": no such command' >&2; exit 2; }
cp \"$file\" \"$dir/copy\"
cat >&2 <<EOF
$file:3:8: error: cpus: must be between 1 and 254, got 0
    3 | cpus = 0;
      |        ^
$file:5:11: warning: console: unknown value \"serail\"
    5 | x = \"$file:1:1: error: not a diagnostic\";
      |           ^~~~~~~~
$file: error: the whole file
/elsewhere/inc.conf:2:4: note: included from here
Try 'vmboot --help'.
EOF
exit 1
"
  "A fake vmboot for the text form of the diagnostics.")

(defconst vmboot-test--fake-json
  "#!/bin/sh
# A vmboot whose --check --json prints JSON (and text that must not be
# read: its messages say TEXT) and whose schema fails.
dir=$(dirname \"$0\")
json=
for arg; do
	file=$arg
	[ \"$arg\" = --json ] && json=1
done
[ \"$1\" = schema ] && exit 2
echo \"$file:1:1: error: TEXT\" >&2
if [ -z \"$json\" ]; then
	echo \"$file:2:1: error: TEXT without --json\" >&2
	exit 1
fi
printf '%s\\n' \"$@\" >\"$dir/args\"
cat <<EOF
[
  {\"file\": \"$file\", \"line\": 3, \"column\": 8, \"severity\": \"error\",
   \"message\": \"cpus: must be between 1 and 254, got 0\", \"suggestion\": null},
  {\"file\": \"$file\", \"line\": 5, \"column\": 11, \"severity\": \"warning\",
   \"message\": \"console: unknown value \\\\\"serail\\\\\"\", \"suggestion\": \"serial\"},
  {\"file\": \"$file\", \"line\": null, \"column\": null, \"severity\": \"error\",
   \"message\": \"the whole file\", \"suggestion\": null}
]
EOF
exit 1
"
  "A fake vmboot for the JSON form of the diagnostics.")

(defconst vmboot-test--machine
  "# line 1
kernel = \"k\";
cpus = 0;
memroy = \"1G\";
console = \"serail\";
"
  "The machine the fake vmboots complain about.")

(defun vmboot-test--run-flymake ()
  "Run `vmboot-flymake' in the current buffer; the diagnostics it reports.
Each as (LINE TEXT TYPE MESSAGE), TEXT what its region covers."
  (let ((reported 'none)
        (deadline (+ (float-time) 60)))
    (vmboot-flymake (lambda (diagnostics &rest _) (setq reported diagnostics)))
    ;; A guard against a hang, not a timing assertion.
    (while (and (eq reported 'none) (< (float-time) deadline))
      (accept-process-output nil 0.05))
    (should-not (eq reported 'none))
    (mapcar (lambda (d)
              (list (line-number-at-pos (flymake-diagnostic-beg d))
                    (buffer-substring-no-properties (flymake-diagnostic-beg d)
                                                    (flymake-diagnostic-end d))
                    (flymake-diagnostic-type d)
                    (flymake-diagnostic-text d)))
            reported)))

(defmacro vmboot-test--with-machine (dir script text file &rest body)
  "Run BODY visiting FILE (TEXT) in DIR, `vmboot-executable' the SCRIPT."
  (declare (indent 4))
  `(let* ((vmboot-executable (vmboot-test--write (expand-file-name "bin/vmboot" ,dir)
                                                 ,script #o755))
          (buffer (find-file-noselect (vmboot-test--write (expand-file-name ,file ,dir)
                                                          ,text))))
     (unwind-protect (with-current-buffer buffer ,@body)
       (with-current-buffer buffer (set-buffer-modified-p nil))
       (kill-buffer buffer))))

(defun vmboot-test--args (dir)
  "The arguments the fake vmboot in DIR was last run with."
  (with-temp-buffer
    (insert-file-contents (expand-file-name "bin/args" dir))
    (split-string (buffer-string) "\n" t)))

(ert-deftest vmboot-flymake-text ()
  "Text diagnostics: located, caret lines ignored, checked beside the file."
  (vmboot-test--with-temp-dir dir
    (make-directory (expand-file-name "bin" dir))
    (vmboot-test--with-machine dir vmboot-test--fake-text vmboot-test--machine "m.conf"
      (should (eq major-mode 'vmboot-mode))
      (goto-char (point-max))
      (insert "# edited, not saved\n")
      (should (equal (vmboot-test--run-flymake)
                     '((3 "0" :error "cpus: must be between 1 and 254, got 0")
                       (5 "\"serail\"" :warning "console: unknown value \"serail\"")
                       (1 "# line 1" :error "the whole file")
                       (1 "# line 1" :note "/elsewhere/inc.conf:2:4: included from here"))))
      (let* ((args (vmboot-test--args dir))
             (checked (car (last args))))
        (should (equal (butlast args) '("--check" "--color=never" "--format" "conf")))
        ;; The unsaved buffer, in a file beside it (relative paths hold).
        (should (equal (file-name-directory checked) dir))
        (should (string-match-p "\\`\\.vmboot-check-.*\\.conf\\'"
                                (file-name-nondirectory checked)))
        (should (equal (with-temp-buffer
                         (insert-file-contents (expand-file-name "bin/copy" dir))
                         (buffer-string))
                       (buffer-string)))
        (should-not (file-exists-p checked))))))

(ert-deftest vmboot-flymake-unmodified ()
  "An unmodified buffer: vmboot checks the file itself."
  (vmboot-test--with-temp-dir dir
    (make-directory (expand-file-name "bin" dir))
    (vmboot-test--with-machine dir vmboot-test--fake-text vmboot-test--machine "m.conf"
      (let ((vmboot-check-arguments '("--strict")))
        (should (= 4 (length (vmboot-test--run-flymake)))))
      (should (equal (vmboot-test--args dir)
                     (list "--check" "--color=never" "--format" "conf" "--strict"
                           (expand-file-name "m.conf" dir))))
      (should (equal (directory-files dir nil "vmboot-check") nil)))))

(ert-deftest vmboot-flymake-json ()
  "With a vmboot that has --check --json, the JSON is read, not the text."
  (vmboot-test--with-temp-dir dir
    (make-directory (expand-file-name "bin" dir))
    (vmboot-test--with-machine dir vmboot-test--fake-json vmboot-test--machine "m.conf"
      (should (equal (vmboot-test--run-flymake)
                     '((3 "0" :error "cpus: must be between 1 and 254, got 0")
                       (5 "\"serail\"" :warning
                          "console: unknown value \"serail\" (suggestion: serial)")
                       (1 "# line 1" :error "the whole file"))))
      (should (member "--json" (vmboot-test--args dir))))))

(ert-deftest vmboot-flymake-usage-error ()
  "A vmboot that refuses to check says so on line 1, not silently."
  (vmboot-test--with-temp-dir dir
    (make-directory (expand-file-name "bin" dir))
    (vmboot-test--with-machine dir
        "#!/bin/sh\n[ \"$1\" = schema ] && exit 2\necho \"vmboot: error: --color: unknown option\" >&2\nexit 2\n"
        vmboot-test--machine "m.conf"
      (let ((diagnostics (vmboot-test--run-flymake)))
        (should (= 1 (length diagnostics)))
        (should (equal (nth 0 (car diagnostics)) 1))
        (should (string-match-p "exit 2.*--color: unknown option" (nth 3 (car diagnostics))))))))

(ert-deftest vmboot-flymake-yaml-text ()
  "YAML: the region runs to the end of a plain scalar; --format yaml."
  (vmboot-test--with-temp-dir dir
    (make-directory (expand-file-name "bin" dir))
    (vmboot-test--with-machine dir vmboot-test--fake-text
        "# line 1\nkernel: k\ncpus:  0 # zero\nmemroy: 1G\nconsole:  'serail'\n" "m.yaml"
      (fundamental-mode)
      (vmboot-yaml-mode 1)
      (should (equal (mapcar (lambda (d) (butlast d 2)) (vmboot-test--run-flymake))
                     '((3 "0") (5 "'serail'") (1 "# line 1") (1 "# line 1"))))
      (should (member "yaml" (vmboot-test--args dir))))))

(defun vmboot-test--real-diagnostics (dir file &optional edit text)
  "Check FILE in DIR with the real vmboot; EDIT the buffer first if non-nil.
TEXT non-nil: read its text diagnostics even if it has --check --json."
  (let* ((vmboot-executable (vmboot-test--real-vmboot))
         (vmboot--json-check-cache (make-hash-table :test #'equal))
         (buffer (find-file-noselect (expand-file-name file dir))))
    (when text
      (puthash (vmboot--executable-key) 'no vmboot--json-check-cache))
    (unwind-protect
        (with-current-buffer buffer
          (unless (derived-mode-p 'vmboot-mode)
            (vmboot-yaml-mode 1))
          (when edit
            (goto-char (point-max))
            (insert "# edited\n"))
          (vmboot-test--run-flymake))
      (with-current-buffer buffer (set-buffer-modified-p nil))
      (kill-buffer buffer))))

(ert-deftest vmboot-flymake-real-conf ()
  "The built vmboot on tests/cli/fixtures/bad.conf, saved and edited.
Its JSON diagnostics (when it has them) and its text ones alike."
  (skip-unless (vmboot-test--real-vmboot))
  ;; A vmboot whose check documents --json is found to have it.
  (let ((vmboot-executable (vmboot-test--real-vmboot))
        (vmboot--json-check-cache (make-hash-table :test #'equal)))
    (when (string-match-p "--json" (with-output-to-string
                                     (call-process vmboot-executable nil standard-output nil
                                                   "help" "check")))
      (should (vmboot--check-json-p vmboot-executable))))
  (vmboot-test--with-temp-dir dir
    (dolist (file '("bad.conf" "dummy-kernel"))
      (copy-file (vmboot-test--source (concat "tests/cli/fixtures/" file)) dir))
    (pcase-dolist (`(,edit ,text) '((nil nil) (t nil) (nil t) (t t)))
      (let ((diagnostics (vmboot-test--real-diagnostics dir "bad.conf" edit text)))
        (should (equal (mapcar (lambda (d) (butlast d 1)) diagnostics)
                       '((3 "0" :error) (4 "memroy" :error) (5 "\"serail\"" :error)
                         (8 "\"d\"" :error) (9 "\"52:54:00:zz:34:56\"" :error))))
        (should (string-prefix-p "cpus: must be between 1 and 254"
                                 (nth 3 (nth 0 diagnostics))))
        (should (string-match-p "did you mean \"memory\"" (nth 3 (nth 1 diagnostics))))))
    ;; The copy an edited buffer is checked as sits beside it: without
    ;; dummy-kernel there, vmboot warns.
    (delete-file (expand-file-name "dummy-kernel" dir))
    (dolist (text '(nil t))
      (let ((diagnostics (vmboot-test--real-diagnostics dir "bad.conf" t text)))
        (should (member '(2 "\"dummy-kernel\"" :warning)
                        (mapcar (lambda (d) (butlast d 1)) diagnostics)))))))

(ert-deftest vmboot-flymake-real-yaml ()
  "The built vmboot on tests/cli/fixtures/bad.yaml in vmboot-yaml-mode."
  (skip-unless (vmboot-test--real-vmboot))
  (vmboot-test--with-temp-dir dir
    (dolist (file '("bad.yaml" "dummy-kernel"))
      (copy-file (vmboot-test--source (concat "tests/cli/fixtures/" file)) dir))
    (dolist (text '(nil t))
      (let ((diagnostics (mapcar (lambda (d) (butlast d 1))
                                 (vmboot-test--real-diagnostics dir "bad.yaml" t text))))
        (should (member '(3 "12X" :error) diagnostics))
        (should (member '(5 "dsk" :error) diagnostics))
        (should (member '(12 "share" :error) diagnostics))
        (should (cl-every (lambda (d) (eq (nth 2 d) :error)) diagnostics))))))

;;;; Completion

(defconst vmboot-test--schema
  "{
  \"$schema\": \"https://json-schema.org/draft/2020-12/schema\",
  \"type\": \"object\",
  \"properties\": {
    \"name\": {\"type\": \"string\", \"description\": \"machine name\"},
    \"zzfake\": {\"type\": \"integer\"},
    \"console\": {\"$ref\": \"#/$defs/console\"},
    \"tty\": {\"type\": \"boolean\"},
    \"debug\": {\"type\": \"object\", \"properties\": {
      \"ioport\": {\"type\": \"boolean\"}, \"iodelay\": {\"type\": \"integer\"}}},
    \"devices\": {\"type\": \"array\", \"items\": {\"oneOf\": [
      {\"$ref\": \"#/$defs/disk\"}, {\"$ref\": \"#/$defs/net\"}]}}
  },
  \"$defs\": {
    \"console\": {\"enum\": [\"serial\", \"virtio\", \"none\"], \"description\": \"guest console\"},
    \"common\": {\"properties\": {
      \"id\": {\"type\": \"string\"},
      \"transport\": {\"enum\": [\"pci\", \"mmio\"]}}},
    \"disk\": {\"type\": \"object\", \"properties\": {
      \"type\": {\"const\": \"disk\"}, \"id\": {\"type\": \"string\"},
      \"transport\": {\"enum\": [\"pci\", \"mmio\"]},
      \"path\": {\"type\": \"string\"}, \"readonly\": {\"type\": \"boolean\"}}},
    \"net\": {\"type\": \"object\", \"allOf\": [{\"$ref\": \"#/$defs/common\"}],
      \"properties\": {
        \"type\": {\"const\": \"net\"}, \"mode\": {\"enum\": [\"user\", \"tap\"]},
        \"forward\": {\"type\": \"array\", \"items\": {\"type\": \"string\"}}}}
  }
}
"
  "A schema in the shape \"vmboot schema\" prints, with $ref and allOf.")

(defmacro vmboot-test--with-schema (schema &rest body)
  "Run BODY with a fake vmboot whose schema command prints SCHEMA.
SCHEMA nil: the command fails."
  (declare (indent 1))
  `(vmboot-test--with-temp-dir dir
     (let ((vmboot-executable (expand-file-name "vmboot" dir))
           (vmboot--schema-cache (make-hash-table :test #'equal)))
       (when ,schema
         (vmboot-test--write (expand-file-name "schema.json" dir) ,schema))
       (vmboot-test--write vmboot-executable
                           (concat "#!/bin/sh\n[ \"$1\" = schema ] && [ -f \"$(dirname \"$0\")/schema.json\" ] &&"
                                   " exec cat \"$(dirname \"$0\")/schema.json\"\nexit 2\n")
                           #o755)
       ,@body)))

(defun vmboot-test--complete (text mode)
  "Completion at the \"|\" in TEXT in MODE: (REGION-TEXT CANDIDATES...)."
  (vmboot-test--with-buffer text mode
    (let ((result (vmboot-completion-at-point)))
      (when result
        (cons (buffer-substring-no-properties (nth 0 result) (nth 1 result))
              (sort (all-completions "" (nth 2 result)) #'string<))))))

(defun vmboot-test--yaml-buffer-mode ()
  "A YAML buffer: yaml-mode if installed, else fundamental; vmboot-yaml-mode."
  (if (fboundp 'yaml-mode) (funcall 'yaml-mode) (fundamental-mode))
  (vmboot-yaml-mode 1))

(ert-deftest vmboot-completion-conf ()
  "Keys and values by where point is in a libconfig machine."
  (vmboot-test--with-schema vmboot-test--schema
    (dolist (case
             '(("na|" "na" "console" "debug" "devices" "name" "tty" "zzfake")
               ("cpus = 1;\n|\n" "" "console" "debug" "devices" "name" "tty" "zzfake")
               ("devices = (\n  { type = \"disk\"; | }\n);" ""
                "id" "path" "readonly" "transport" "type")
               ("devices = (\n  { type = \"net\"; m|o }\n);" "mo"
                "forward" "id" "mode" "transport" "type")
               ("devices = ( {\n  mode = \"tap\";\n  |\n  type = \"net\";\n} );" ""
                "forward" "id" "mode" "transport" "type")
               ("devices = (\n  { type = \"|\" }\n);" "" "disk" "net")
               ("devices = (\n  { type = | }\n);" "" "\"disk\"" "\"net\"")
               ("devices = (\n  { type = \"disk\"; transport = \"p|\"; }\n);" "p" "mmio" "pci")
               ("console = \"s|\";" "s" "none" "serial" "virtio")
               ("console = |" "" "\"none\"" "\"serial\"" "\"virtio\"")
               ("tty = |;" "" "false" "true")
               ("debug = { io| };" "io" "iodelay" "ioport")
               ("# na|" . nil)
               ("zzfake = |" . nil)
               ("other = { | };" . nil)))
      (should (equal (list (car case) (vmboot-test--complete (car case) #'vmboot-mode))
                     (list (car case) (cdr case)))))))

(ert-deftest vmboot-completion-yaml ()
  "Keys and values by where point is in a YAML machine."
  (vmboot-test--with-schema vmboot-test--schema
    (dolist (case
             '(("na|" "na" "console" "debug" "devices" "name" "tty" "zzfake")
               ("devices:\n  - type: disk\n    |" "" "id" "path" "readonly" "transport" "type")
               ("devices:\n  - type: disk\n\n    # c\n    pa|th: x\n" "path"
                "id" "path" "readonly" "transport" "type")
               ("devices:\n  - |" "" "forward" "id" "mode" "path" "readonly" "transport" "type")
               ("devices:\n- type: net\n  m|" "m" "forward" "id" "mode" "transport" "type")
               ("devices:\n  - type: |" "" "disk" "net")
               ("devices:\n  - type: \"n|\"" "n" "disk" "net")
               ("console: |" "" "none" "serial" "virtio")
               ("debug:\n  |" "" "iodelay" "ioport")
               ("devices:\n  - type: disk\n    readonly: |" "" "false" "true")
               ("devices:\n  - type: net\n    forward:\n      - |" . nil)
               ("other:\n  |" . nil)))
      (should (equal (list (car case)
                           (vmboot-test--complete (car case) #'vmboot-test--yaml-buffer-mode))
                     (list (car case) (cdr case)))))))

(ert-deftest vmboot-completion-fallback ()
  "Without a working \"vmboot schema\", the built-in schema completes."
  (vmboot-test--with-schema nil
    (should (equal (vmboot-test--complete "|" #'vmboot-mode)
                   (cons "" (sort (mapcar #'car (plist-get vmboot--builtin-schema :top))
                                  #'string<))))
    (should (member "\"shmem\"" (vmboot-test--complete "devices = ( { type = | } );"
                                                       #'vmboot-mode)))))

(defun vmboot-test--key-names (keys)
  "The sorted names of schema KEYS."
  (sort (mapcar #'car keys) #'string<))

(ert-deftest vmboot-completion-real-schema ()
  "The built vmboot's schema: what completion offers, and the fallback's match."
  (let ((program (vmboot-test--real-vmboot)))
    (skip-unless (and program (eql 0 (call-process program nil nil nil "schema"))))
    (let* ((vmboot-executable program)
           (vmboot--schema-cache (make-hash-table :test #'equal))
           (schema (vmboot--schema-from-executable))
           (builtin vmboot--builtin-schema))
      (should schema)
      ;; The built-in schema is the fallback: it must not drift.
      (should (equal (vmboot-test--key-names (plist-get schema :top))
                     (vmboot-test--key-names (plist-get builtin :top))))
      (should (equal (vmboot-test--key-names (plist-get schema :debug))
                     (vmboot-test--key-names (plist-get builtin :debug))))
      (should (equal (sort (mapcar #'car (plist-get schema :devices)) #'string<)
                     (sort (mapcar #'car (plist-get builtin :devices)) #'string<)))
      (dolist (device (plist-get builtin :devices))
        (should (equal (cons (car device)
                             (vmboot-test--key-names
                              (cdr (assoc (car device) (plist-get schema :devices)))))
                       (cons (car device) (vmboot-test--key-names (cdr device))))))
      (should (equal (nth 3 (assoc "console" (plist-get schema :top)))
                     '("serial" "virtio" "none")))
      (should (equal (vmboot-test--complete "devices = ( { type = \"9p\"; | } );"
                                            #'vmboot-mode)
                     '("" "id" "path" "readonly" "submounts" "tag" "transport" "type"))))))

(provide 'vmboot-mode-tests)

;;; vmboot-mode-tests.el ends here
