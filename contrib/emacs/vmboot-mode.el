;;; vmboot-mode.el --- Editing vmboot machine files  -*- lexical-binding: t; -*-

;; Copyright (C) the vmboot authors

;; Author: the vmboot authors
;; Version: 0.1
;; Package-Requires: ((emacs "27.1"))
;; Keywords: languages, tools

;; This program is free software; you can redistribute it and/or modify
;; it under the terms of the GNU General Public License as published by
;; the Free Software Foundation, either version 2 of the License, or (at
;; your option) any later version.

;;; Commentary:

;; `vmboot-mode' is a major mode for vmboot machine files in libconfig
;; syntax (machines/web.conf): font-lock for keys, strings, numbers and
;; sizes, booleans, comments (#, // and /* */) and device types;
;; indentation of ( { ... } ) blocks (`vmboot-indent-offset'); imenu over
;; the devices ("disk root", "net net0").
;;
;; `vmboot-yaml-mode' is a minor mode for machine files in YAML, turned on
;; in `yaml-mode' and `yaml-ts-mode' buffers that look like machine files
;; (a top-level devices: or kernel: key, or a yaml-language-server $schema
;; comment naming vmboot or machine.schema.json).  yaml-mode itself is
;; not required.
;;
;; In both: a flymake backend that runs "vmboot --check" on the buffer
;; (`vmboot-flymake'), and completion at point of key names, device
;; types and enumerated values from "vmboot schema" (with a built-in
;; fallback when that command fails).  `vmboot-check-file' (C-c C-c in
;; `vmboot-mode') runs "vmboot --check" in a compilation buffer.
;;
;; Which .conf files are machine files: ".conf" is too common a suffix to
;; claim.  `vmboot-mode' is chosen for
;;   - a file whose first line carries the cookie -*- vmboot -*-;
;;   - a file named *.vmboot.conf;
;;   - a .conf file that sets devices or kernel at its top level
;;     (`vmboot-conf-file-p', through `magic-mode-alist');
;; and M-x vmboot-mode turns it on in any buffer.
;; `vmboot-detect-machine-files' set to nil turns the content checks off.
;;
;; Setup (make install puts this file in $(datadir)/emacs/site-lisp,
;; /usr/local/share/emacs/site-lisp by default, already on `load-path'):
;;
;;   (require 'vmboot-mode)
;;   (add-hook 'vmboot-mode-hook #'flymake-mode)
;;   (add-hook 'vmboot-yaml-mode-hook #'flymake-mode)
;;
;; or, with use-package:
;;
;;   (use-package vmboot-mode
;;     :load-path "/usr/local/share/emacs/site-lisp"
;;     :hook ((vmboot-mode vmboot-yaml-mode) . flymake-mode))

;;; Code:

(require 'cl-lib)
(require 'flymake)
(require 'imenu)
(require 'json)
(require 'subr-x)

(declare-function compilation-start "compile")
(defvar compilation-ask-about-save)

;;;; Customization

(defgroup vmboot nil
  "Editing vmboot machine files."
  :group 'languages
  :prefix "vmboot-")

(defcustom vmboot-executable "vmboot"
  "The vmboot program: a name looked up in variable `exec-path', or a file.
Diagnostics come from its --check, completions from its schema command."
  :type 'string)

(defcustom vmboot-check-arguments nil
  "Extra arguments for \"vmboot --check\", such as (\"--strict\")."
  :type '(repeat string))

(defcustom vmboot-indent-offset 2
  "Columns a line is indented by inside ( ), { } and [ ]."
  :type 'integer
  :safe #'integerp)

(defcustom vmboot-detect-machine-files t
  "Non-nil: recognize machine files by their content.
That is a .conf file setting devices or kernel at its top level (for
`vmboot-mode'), and a YAML buffer that looks like a machine file (for
`vmboot-yaml-mode')."
  :type 'boolean)

(defface vmboot-number-face
  '((t :inherit font-lock-constant-face))
  "Face for numbers and for sizes such as \"512M\".")

;;;; The built-in schema, used when "vmboot schema" fails

;; A schema here is a plist (:top KEYS :debug KEYS :devices ((TYPE .
;; KEYS) ...)); a key is (NAME DOC KIND VALUES), KIND `enum' or `boolean'
;; when VALUES lists what it may be set to.  This copy follows
;; src/parse/schema.c; the tests compare it with "vmboot schema".

(defun vmboot--key (name doc &optional kind values)
  "A schema key NAME described by DOC; KIND and VALUES for enums."
  (list name doc kind values))

(defun vmboot--bool-key (name doc)
  "A boolean schema key NAME described by DOC."
  (vmboot--key name doc 'boolean '("true" "false")))

(defconst vmboot--builtin-schema
  (let* ((id (vmboot--key "id" "unique name of the device within the machine"))
         (transport (vmboot--key "transport" "virtio transport: PCI or MMIO"
                                 'enum '("pci" "mmio")))
         (type (vmboot--key "type" "device type"))
         (virtio (lambda (&rest keys) (append (list type id transport) keys))))
    (list
     :top
     (list (vmboot--key "name" "machine name")
           (vmboot--key "cpus" "number of virtual CPUs")
           (vmboot--key "memory" "guest RAM: MiB, or a size such as \"2G\"")
           (vmboot--key "kernel" "bzImage, PVH vmlinux or flat binary")
           (vmboot--key "initrd" "initial RAM disk")
           (vmboot--key "params" "extra kernel command line")
           (vmboot--key "console" "guest console" 'enum '("serial" "virtio" "none"))
           (vmboot--bool-key "tty" "put the guest console on a new pty")
           (vmboot--bool-key "hugepages" "back guest RAM with huge pages")
           (vmboot--bool-key "seccomp" "confine each vmboot thread to the system calls it needs; false is unsafe, for debugging")
           (vmboot--key "user" "started as root: run as this user once the VM is built")
           (vmboot--bool-key "acpi" "describe the machine with ACPI tables")
           (vmboot--key "devices" "list of device tables")
           (vmboot--key "debug" "debugging aids"))
     :debug
     (list (vmboot--bool-key "ioport" "log every guest port I/O access")
           (vmboot--bool-key "single_step" "single-step the vCPUs")
           (vmboot--key "iodelay" "delay every port I/O access, in ms"))
     :devices
     (list (cons "disk" (funcall virtio
                                 (vmboot--key "path" "raw image file or directory")
                                 (vmboot--bool-key "readonly" "the guest cannot write")
                                 (vmboot--key "queues" "request queues (virtio-blk multiqueue)")))
           (cons "net" (funcall virtio
                                (vmboot--key "mode" "user-mode networking or tap"
                                             'enum '("user" "tap"))
                                (vmboot--key "tap" "host tap interface name")
                                (vmboot--key "mac" "guest MAC address")
                                (vmboot--bool-key "dhcp" "serve the guest DHCP")
                                (vmboot--key "forward" "host-to-guest port forwards")
                                (vmboot--bool-key "vhost" "tap mode: the kernel's vhost-net moves the frames")))
           (cons "9p" (funcall virtio
                               (vmboot--key "path" "host directory to share")
                               (vmboot--key "tag" "mount tag the guest uses")
                               (vmboot--bool-key "readonly" "the guest cannot write")
                               (vmboot--bool-key "submounts"
                                                 "the guest enters file systems mounted below path")))
           (cons "balloon" (funcall virtio))
           (cons "rng" (funcall virtio))
           (cons "shmem" (list type id
                               (vmboot--key "path" "host file or POSIX shm name")
                               (vmboot--key "size" "size of the region, e.g. \"16M\"")
                               (vmboot--key "address" "guest physical address")))
           (cons "console" (funcall virtio))
           (cons "vsock" (funcall virtio
                                  (vmboot--key "cid" "the guest's vsock address (CID)"))))))
  "The machine-file schema as of this file, for when \"vmboot schema\" fails.")

;;;; The schema from "vmboot schema"

(defvar vmboot--schema-cache (make-hash-table :test #'equal)
  "Schemas by `vmboot--executable-key'.")

(defvar vmboot--json-check-cache (make-hash-table :test #'equal)
  "Whether \"vmboot --check --json\" works, by `vmboot--executable-key'.
Values are `yes' and `no'.")

(defun vmboot-reset-caches ()
  "Forget the schemas and the --json support learnt from vmboot.
For after installing another vmboot in the same place."
  (interactive)
  (clrhash vmboot--schema-cache)
  (clrhash vmboot--json-check-cache))

(defun vmboot--executable ()
  "The full file name of `vmboot-executable', or nil if not found."
  (executable-find vmboot-executable))

(defun vmboot--executable-key ()
  "What the caches are keyed by: the executable and when it changed.
A rebuilt vmboot (with a new schema, or --json) is asked again."
  (let ((file (vmboot--executable)))
    (if file
        (cons file (file-attribute-modification-time (file-attributes file)))
      vmboot-executable)))

(defun vmboot--json-parse (string)
  "Parse the JSON text STRING: objects as alists, arrays as lists."
  (if (fboundp 'json-parse-string)
      (json-parse-string string :object-type 'alist :array-type 'list
                         :null-object nil :false-object :json-false)
    (let ((json-object-type 'alist)
          (json-array-type 'list)
          (json-key-type 'symbol)
          (json-false :json-false)
          (json-null nil))
      (json-read-from-string string))))

(defun vmboot--json-object-p (value)
  "Non-nil if VALUE is a parsed JSON object (an alist)."
  (and (consp value) (consp (car value)) (symbolp (caar value))))

(defun vmboot--json-get (key node)
  "The member KEY (a symbol) of NODE if NODE is a JSON object, else nil."
  (and (vmboot--json-object-p node) (alist-get key node)))

(defun vmboot--json-pointer (root pointer)
  "The node of ROOT that the JSON pointer POINTER (\"#/$defs/x\") names."
  (let ((node root))
    (dolist (segment (cdr (split-string pointer "/")) node)
      (let ((name (replace-regexp-in-string
                   "~0" "~" (replace-regexp-in-string "~1" "/" segment))))
        (setq node (cond ((vmboot--json-object-p node) (alist-get (intern name) node))
                         ((and (listp node) (string-match-p "\\`[0-9]+\\'" name))
                          (nth (string-to-number name) node))))))))

(defun vmboot--json-resolve (root node)
  "NODE with its local $ref to ROOT followed; its own keys win."
  (let ((depth 0) ref)
    (while (and (< depth 16)
                (stringp (setq ref (vmboot--json-get '$ref node)))
                (string-prefix-p "#" ref))
      (setq node (append (assq-delete-all '$ref (copy-alist node))
                         (vmboot--json-pointer root ref))
            depth (1+ depth)))
    node))

(defun vmboot--json-properties (root node)
  "The properties alist of NODE, with those of its allOf parts.
ROOT is the whole schema, for $ref."
  (let ((node (vmboot--json-resolve root node)))
    (append (mapcan (lambda (part) (copy-sequence (vmboot--json-properties root part)))
                    (vmboot--json-get 'allOf node))
            (vmboot--json-get 'properties node))))

(defun vmboot--json-scalar-string (value)
  "VALUE, a JSON scalar, as completion text."
  (cond ((stringp value) value)
        ((eq value t) "true")
        ((eq value :json-false) "false")
        (t (format "%s" value))))

(defun vmboot--json-has-type (node type)
  "Return non-nil if the schema NODE gives its values the JSON TYPE."
  (let ((types (vmboot--json-get 'type node)))
    (if (listp types) (member type types) (equal types type))))

(defun vmboot--json-values (root node)
  "(KIND . VALUES) for the property schema NODE in ROOT, or nil.
KIND is `enum' for enum and const, `boolean' for booleans."
  (let ((node (vmboot--json-resolve root node)))
    (cond
     ((not (vmboot--json-object-p node)) nil)
     ((alist-get 'enum node)
      (cons 'enum (mapcar #'vmboot--json-scalar-string (alist-get 'enum node))))
     ((assq 'const node)
      (cons 'enum (list (vmboot--json-scalar-string (alist-get 'const node)))))
     ((vmboot--json-has-type node "boolean")
      (cons 'boolean (list "true" "false")))
     (t
      (let ((parts (mapcar (lambda (part) (vmboot--json-values root part))
                           (or (alist-get 'oneOf node) (alist-get 'anyOf node)))))
        (when (and parts (cl-every #'identity parts))
          (cons (caar parts) (cl-remove-duplicates (mapcan #'cdr parts)
                                                   :test #'equal))))))))

(defun vmboot--json-keys (root properties)
  "Schema keys for the JSON Schema PROPERTIES alist, in the schema ROOT."
  (mapcar (lambda (property)
            (let* ((node (vmboot--json-resolve root (cdr property)))
                   (values (vmboot--json-values root node)))
              (vmboot--key (symbol-name (car property))
                           (vmboot--json-get 'description node)
                           (car values) (cdr values))))
          properties))

(defun vmboot--json-device-type (root branch)
  "The device type BRANCH (one of devices' oneOf in ROOT) is for, or nil."
  (let* ((props (vmboot--json-properties root branch))
         (type (vmboot--json-resolve root (alist-get 'type props)))
         (const (vmboot--json-get 'const type))
         (enum (vmboot--json-get 'enum type)))
    (cond ((stringp const) const)
          ((and (consp enum) (stringp (car enum))) (car enum)))))

(defun vmboot--schema-from-json (root)
  "The schema plist for the JSON Schema ROOT of a machine file."
  (let* ((top (vmboot--json-properties root root))
         (devices (vmboot--json-resolve root (alist-get 'devices top)))
         (items (vmboot--json-resolve root (vmboot--json-get 'items devices)))
         (debug (alist-get 'debug top)))
    (list :top (vmboot--json-keys root top)
          :debug (vmboot--json-keys root (vmboot--json-properties root debug))
          :devices
          (delq nil
                (mapcar (lambda (branch)
                          (let ((type (vmboot--json-device-type root branch)))
                            (when type
                              (cons type (vmboot--json-keys
                                          root (vmboot--json-properties root branch))))))
                        (or (vmboot--json-get 'oneOf items)
                            (vmboot--json-get 'anyOf items)))))))

(defun vmboot--schema-from-executable ()
  "The schema printed by \"vmboot schema\", or nil if that fails."
  (let ((program (vmboot--executable))
        (default-directory temporary-file-directory))
    (when program
      (with-temp-buffer
        (let ((status (ignore-errors
                        (call-process program nil (list t nil) nil "schema"))))
          (when (eql status 0)
            (let* ((json (ignore-errors (vmboot--json-parse (buffer-string))))
                   (schema (and (vmboot--json-object-p json)
                                (ignore-errors (vmboot--schema-from-json json)))))
              (and (plist-get schema :top) (plist-get schema :devices) schema))))))))

(defun vmboot--schema ()
  "The schema of `vmboot-executable', asked once, else the built-in one."
  (let ((key (vmboot--executable-key)))
    (or (gethash key vmboot--schema-cache)
        (puthash key (or (vmboot--schema-from-executable) vmboot--builtin-schema)
                 vmboot--schema-cache))))

;;;; Syntax and font-lock

(defvar vmboot-mode-syntax-table
  (let ((table (make-syntax-table)))
    ;; # and // to the end of the line (style b), /* */ (style a).
    (modify-syntax-entry ?# "< b" table)
    (modify-syntax-entry ?/ ". 124b" table)
    (modify-syntax-entry ?* ". 23" table)
    (modify-syntax-entry ?\n "> b" table)
    (modify-syntax-entry ?\" "\"" table)
    (modify-syntax-entry ?\\ "\\" table)
    (modify-syntax-entry ?' "." table)
    (dolist (c '(?= ?: ?\; ?, ?@))
      (modify-syntax-entry c "." table))
    ;; Setting names are [A-Za-z*][-A-Za-z0-9_*]*.
    (modify-syntax-entry ?_ "_" table)
    (modify-syntax-entry ?- "_" table)
    table)
  "Syntax table for `vmboot-mode'.")

(defconst vmboot--name-regexp "[A-Za-z*][-A-Za-z0-9_*]*"
  "A libconfig setting name.")

(defconst vmboot--size-regexp
  "\"\\([0-9]+\\(?:\\.[0-9]+\\)?[ \t]*[KMGTkmgt]\\(?:i?[Bb]\\)?\\)\""
  "A size with a suffix in a string, \"512M\", the size in group 1.")

(defun vmboot--code-matcher (regexp)
  "A font-lock matcher for REGEXP that skips matches in comments.
For the keywords that paint over the string face."
  (lambda (limit)
    (let (found)
      (while (and (not found) (re-search-forward regexp limit t))
        (unless (save-match-data
                  (nth 4 (save-excursion (syntax-ppss (match-beginning 0)))))
          (setq found t)))
      found)))

(defconst vmboot-font-lock-keywords
  `(("^[ \t]*\\(@include\\)\\_>" 1 font-lock-preprocessor-face)
    ;; type = "disk": the device type, over the string face.
    (,(vmboot--code-matcher "\\_<type[ \t]*[=:][ \t]*\"\\([^\"\n]*\\)\"")
     1 font-lock-type-face t)
    (,(vmboot--code-matcher vmboot--size-regexp) 1 'vmboot-number-face t)
    (,(concat "\\_<\\(" vmboot--name-regexp "\\)[ \t]*[=:]")
     1 font-lock-variable-name-face)
    ("\\_<\\(?:[Tt][Rr][Uu][Ee]\\|[Ff][Aa][Ll][Ss][Ee]\\)\\_>" . font-lock-constant-face)
    ;; Integers (64-bit with L), hexadecimal, floating point.
    (,(concat "\\_<[-+]?\\(?:0[xX][[:xdigit:]]+\\|[0-9]+\\(?:\\.[0-9]*\\)?"
              "\\(?:[eE][-+]?[0-9]+\\)?\\)L\\{0,2\\}\\_>")
     0 'vmboot-number-face))
  "Font-lock keywords for `vmboot-mode'.")

;;;; Indentation

(defun vmboot--previous-code-end ()
  "Move to just after the code that ends before the current line.
Blank lines, comment lines and trailing comments are skipped.  Return
point, or nil (point unspecified) if no code comes before."
  (let (found)
    (while (and (not found) (zerop (forward-line -1)))
      (end-of-line)
      (let ((ppss (syntax-ppss)))
        (when (nth 4 ppss)
          (goto-char (nth 8 ppss))))
      (skip-chars-backward " \t")
      (unless (bolp)
        (setq found (point))))
    found))

(defun vmboot--opener-line-indentation (open)
  "The indentation of the line holding the bracket at OPEN."
  (save-excursion
    (goto-char open)
    (current-indentation)))

(defun vmboot--inside-indentation (open)
  "Indentation of a line inside the bracket at OPEN.
One offset deeper than the line OPEN is on; aligned with the first value
when one follows OPEN on its line, as in { type = \"disk\";"
  (save-excursion
    (goto-char (1+ open))
    (skip-chars-forward " \t")
    (if (or (eolp) (looking-at-p "#\\|//\\|/\\*"))
        (+ (vmboot--opener-line-indentation open) vmboot-indent-offset)
      (current-column))))

(defun vmboot--continuation-indentation ()
  "Indentation of a line continuing the previous one, or nil.
After \"key =\" on a line of its own: one offset deeper.  A string after
a line ending in one (libconfig joins them): aligned with that string."
  (let ((starts-with-string (eq (char-after) ?\")))
    (save-excursion
      (when (vmboot--previous-code-end)
        (cond
         ((memq (char-before) '(?= ?:))
          (+ (current-indentation) vmboot-indent-offset))
         ((and starts-with-string (eq (char-before) ?\"))
          (let ((string-start (nth 8 (syntax-ppss (1- (point))))))
            (when string-start
              (goto-char string-start)
              (current-column)))))))))

(defun vmboot-calculate-indentation ()
  "The column the current line belongs at, or nil to leave it alone.
Nil inside a multi-line string or comment."
  (save-excursion
    (back-to-indentation)
    (let* ((ppss (save-excursion (syntax-ppss (line-beginning-position))))
           (open (nth 1 ppss)))
      (cond
       ((nth 8 ppss) nil)
       ((and open (looking-at-p "[])}]"))
        (vmboot--opener-line-indentation open))
       ((vmboot--continuation-indentation))
       (open (vmboot--inside-indentation open))
       (t 0)))))

(defun vmboot-indent-line ()
  "Indent the current line as libconfig machine files are.
See `vmboot-indent-offset'."
  (interactive)
  (let ((column (vmboot-calculate-indentation)))
    (if (null column)
        'noindent
      (let ((past-indentation (- (current-column) (current-indentation))))
        (indent-line-to column)
        (when (> past-indentation 0)
          (forward-char past-indentation))))))

;;;; Reading a libconfig machine

(defun vmboot--conf-key-before (pos)
  "The setting name before the = or : that ends before POS, or nil."
  (save-excursion
    (goto-char pos)
    (skip-chars-backward " \t\n")
    (when (memq (char-before) '(?= ?:))
      (backward-char)
      (skip-chars-backward " \t\n")
      (let ((end (point)))
        (skip-chars-backward "-A-Za-z0-9_*")
        (when (< (point) end)
          (buffer-substring-no-properties (point) end))))))

(defun vmboot--conf-code-p (pos)
  "Non-nil if POS is in neither a string nor a comment."
  (not (nth 8 (save-excursion (syntax-ppss pos)))))

(defun vmboot--conf-value-at (pos)
  "Return the scalar value at POS: a string's text, or the token."
  (save-excursion
    (goto-char pos)
    (cond
     ((looking-at "\"\\(\\(?:[^\"\\\n]\\|\\\\.\\)*\\)\"?")
      (match-string-no-properties 1))
     ((looking-at "[-+A-Za-z0-9_.]+")
      (match-string-no-properties 0)))))

(defun vmboot--conf-group-settings (start end)
  "The settings directly in the group whose { is at START, up to END.
An alist (NAME . VALUE), VALUE a string or nil; in buffer order."
  (save-excursion
    (let ((depth (1+ (car (syntax-ppss start))))
          (regexp (concat "\\_<\\(" vmboot--name-regexp "\\)[ \t\n]*[=:][ \t\n]*"))
          settings)
      (goto-char (1+ start))
      (while (re-search-forward regexp end t)
        (let ((name (match-string-no-properties 1))
              (value-start (point))
              (ppss (save-excursion (syntax-ppss (match-beginning 0)))))
          (when (and (= (car ppss) depth) (not (nth 8 ppss)))
            (push (cons name (vmboot--conf-value-at value-start)) settings))))
      (nreverse settings))))

(defun vmboot--conf-top-value (name)
  "Return the position of the value of the top-level setting NAME, or nil."
  (save-excursion
    (goto-char (point-min))
    (let ((regexp (concat "\\_<" (regexp-quote name) "[ \t\n]*[=:]"))
          found)
      (while (and (not found) (re-search-forward regexp nil t))
        (let ((ppss (save-excursion (syntax-ppss (match-beginning 0)))))
          (when (and (zerop (car ppss)) (not (nth 8 ppss)))
            (forward-comment (buffer-size))
            (setq found (point)))))
      found)))

(defun vmboot--conf-devices ()
  "The devices of the machine in this buffer, in order.
Each is (POS . SETTINGS): POS where its { is, SETTINGS as from
`vmboot--conf-group-settings'."
  (save-excursion
    (save-restriction
      (widen)
      (let ((start (vmboot--conf-top-value "devices"))
            devices)
        (when (and start (memq (char-after start) '(?\( ?\[)))
          (goto-char (1+ start))
          (forward-comment (buffer-size))
          (while (eq (char-after) ?{)
            (let* ((open (point))
                   (close (ignore-errors (scan-lists open 1 0))))
              (push (cons open (vmboot--conf-group-settings open (or close (point-max))))
                    devices)
              (goto-char (or close (point-max)))
              (forward-comment (buffer-size))
              (when (eq (char-after) ?,)
                (forward-char)
                (forward-comment (buffer-size))))))
        (nreverse devices)))))

(defun vmboot-imenu-create-index ()
  "Imenu entries for the devices: \"TYPE NAME\" at each device's {.
NAME is the device's id; without one, its path; else the id vmboot
gives it, the type followed by its index among devices of that type."
  (let ((counts (make-hash-table :test #'equal)))
    (mapcar (lambda (device)
              (let* ((settings (cdr device))
                     (type (or (cdr (assoc "type" settings)) "?"))
                     (index (gethash type counts 0))
                     (name (or (cdr (assoc "id" settings))
                               (cdr (assoc "path" settings))
                               (format "%s%d" type index))))
                (puthash type (1+ index) counts)
                (cons (format "%s %s" type name) (car device))))
            (vmboot--conf-devices))))

;;;; Completion

(defun vmboot--conf-section (pos)
  "Which part of a libconfig machine POS is in.
`(top)', `(debug)', `(device OPEN)' with OPEN the device's {, or nil."
  (let ((opens (nth 9 (save-excursion (syntax-ppss pos)))))
    (pcase (length opens)
      (0 '(top))
      (1 (when (and (eq (char-after (car opens)) ?{)
                    (equal (vmboot--conf-key-before (car opens)) "debug"))
           '(debug)))
      (2 (when (and (memq (char-after (car opens)) '(?\( ?\[))
                    (eq (char-after (cadr opens)) ?{)
                    (equal (vmboot--conf-key-before (car opens)) "devices"))
           (list 'device (cadr opens)))))))

(defun vmboot--conf-device-type (open)
  "The type of the device whose { is at OPEN, or nil."
  (let ((close (or (ignore-errors (scan-lists open 1 0)) (point-max))))
    (cdr (assoc "type" (vmboot--conf-group-settings open close)))))

(defun vmboot--conf-context ()
  "What is being typed at point in a libconfig machine, or nil.
A plist: :kind `key' or `value', :section `top', `debug' or `device',
:type (the device's), :key (a value's), :quoted (inside \"\"), :beg, :end."
  (let* ((ppss (syntax-ppss))
         (pos (point)))
    (unless (nth 4 ppss)
      (let* ((in-string (nth 3 ppss))
             (beg (if in-string
                      (1+ (nth 8 ppss))
                    (save-excursion (skip-chars-backward "-A-Za-z0-9_*") (point))))
             (end (save-excursion
                    (skip-chars-forward (if in-string "^\"\n" "-A-Za-z0-9_*"))
                    (point)))
             (key (vmboot--conf-key-before (if in-string (nth 8 ppss) beg)))
             (section (vmboot--conf-section pos))
             (kind (cond (key 'value)
                         ((and (not in-string)
                               (save-excursion
                                 (goto-char beg)
                                 (skip-chars-backward " \t")
                                 (or (bolp) (memq (char-before) '(?\; ?, ?{)))))
                          'key))))
        (when (and kind section)
          (list :kind kind :section (car section)
                :type (and (eq (car section) 'device)
                           (vmboot--conf-device-type (cadr section)))
                :key key :quoted in-string :beg beg :end end))))))

(defun vmboot--yaml-line-info ()
  "The current line of a YAML buffer, or nil if blank or a comment.
A list (INDENT DASH COLUMN KEY VALUE): the column of its first
character; non-nil for a sequence item (\"- \"); the column of what
follows the dash; the mapping key before \":\" there and its value."
  (save-excursion
    (beginning-of-line)
    (looking-at "\\([ \t]*\\)\\(?:\\(-\\)\\(?:[ \t]+\\|$\\)\\)?")
    (let ((indent (- (match-end 1) (match-beginning 1)))
          (dash (match-beginning 2)))
      (goto-char (match-end 0))
      (unless (and (not dash) (or (eolp) (eq (char-after) ?#)))
        (let ((column (current-column)) key value)
          (when (looking-at (concat "\\([\"']?\\)\\([-A-Za-z0-9_.]+\\)\\1[ \t]*:"
                                    "\\(?:[ \t]+\\(.*\\)\\)?$"))
            (setq key (match-string-no-properties 2)
                  value (vmboot--yaml-scalar (match-string-no-properties 3))))
          (list indent dash column key value))))))

(defun vmboot--yaml-scalar (text)
  "The scalar TEXT after a \"key:\", without comment and quotes, or nil."
  (when text
    (let ((text (string-trim
                 (replace-regexp-in-string "\\(?:\\`\\|[ \t]+\\)#.*" "" text))))
      (cond ((string-match "\\`\"\\(.*\\)\"\\'" text) (match-string 1 text))
            ((string-match "\\`'\\(.*\\)'\\'" text) (match-string 1 text))
            ((string-empty-p text) nil)
            (t text)))))

(defun vmboot--yaml-find-upward (predicate)
  "Move to the nearest line above that satisfies PREDICATE; its info.
Blank and comment lines are skipped; nil if no line does."
  (let (found)
    (while (and (not found) (zerop (forward-line -1)))
      (let ((info (vmboot--yaml-line-info)))
        (when (and info (funcall predicate info))
          (setq found info))))
    found))

(defun vmboot--yaml-device-type (item dash column)
  "The type of the sequence item starting at ITEM, or nil.
DASH is the column of its dash, COLUMN that of its keys."
  (save-excursion
    (goto-char item)
    (let ((info (vmboot--yaml-line-info))
          type)
      (while (and info (not type))
        (when (and (= (nth 2 info) column) (equal (nth 3 info) "type"))
          (setq type (nth 4 info)))
        (setq info nil)
        (while (and (not info) (zerop (forward-line 1)) (not (eobp)))
          (let ((next (vmboot--yaml-line-info)))
            (cond ((null next))
                  ((<= (car next) dash) (goto-char (point-max)))
                  (t (setq info next))))))
      type)))

(defun vmboot--yaml-section (column)
  "The part of a YAML machine whose keys are at COLUMN on this line.
`(top)', `(debug)', `(device ITEM DASH)' (the item's line and the column
of its dash), or nil."
  (save-excursion
    (let ((here (vmboot--yaml-line-info))
          item dash)
      (cond
       ((zerop column) (setq item 'top))
       ((and here (nth 1 here) (= (nth 2 here) column))
        (setq item (line-beginning-position) dash (car here)))
       (t
        (let ((parent (vmboot--yaml-find-upward (lambda (info) (< (car info) column)))))
          (cond
           ((null parent))
           ((and (nth 1 parent) (= (nth 2 parent) column))
            (setq item (line-beginning-position) dash (car parent)))
           ((and (zerop (car parent)) (equal (nth 3 parent) "debug"))
            (setq item 'debug))))))
      (cond
       ((eq item 'top) '(top))
       ((eq item 'debug) '(debug))
       (item
        (goto-char item)
        ;; The sequence's key: less indented, or as indented and not an
        ;; item (YAML lets "- " start at its key's column).
        (let ((owner (vmboot--yaml-find-upward
                      (lambda (info) (or (< (car info) dash)
                                         (and (= (car info) dash) (not (nth 1 info))))))))
          (when (and owner (zerop (car owner)) (not (nth 1 owner))
                     (equal (nth 3 owner) "devices"))
            (list 'device item dash))))))))

(defun vmboot--yaml-context ()
  "What is being typed at point in a YAML machine, or nil.
A plist like `vmboot--conf-context' returns."
  (let ((before (buffer-substring-no-properties (line-beginning-position) (point)))
        kind key key-column beg end)
    (cond
     ((string-match "\\`[ \t]*\\(?:-[ \t]+\\)?\\([A-Za-z0-9_]*\\)\\'" before)
      (setq kind 'key
            key-column (match-beginning 1)
            beg (+ (line-beginning-position) (match-beginning 1))
            end (save-excursion (skip-chars-forward "A-Za-z0-9_") (point))))
     ((string-match (concat "\\`[ \t]*\\(?:-[ \t]+\\)?\\([A-Za-z0-9_]+\\)[ \t]*:[ \t]+"
                            "[\"']?\\([-A-Za-z0-9_.]*\\)\\'")
                    before)
      (setq kind 'value
            key (match-string 1 before)
            key-column (match-beginning 1)
            beg (+ (line-beginning-position) (match-beginning 2))
            end (save-excursion (skip-chars-forward "-A-Za-z0-9_.") (point)))))
    (when kind
      ;; Columns: the line holds no tabs before a key (YAML forbids them).
      (let ((section (vmboot--yaml-section key-column)))
        (when section
          (list :kind kind :section (car section)
                :type (and (eq (car section) 'device)
                           (vmboot--yaml-device-type (nth 1 section) (nth 2 section)
                                                     key-column))
                :key key :quoted t :beg beg :end end))))))

(defun vmboot--section-keys (schema section type)
  "The keys of SECTION in SCHEMA; for a device, those of its TYPE.
A device of no type or an unknown one: every device type's keys."
  (pcase section
    ('top (plist-get schema :top))
    ('debug (plist-get schema :debug))
    ('device
     (let ((devices (plist-get schema :devices)))
       (or (cdr (assoc type devices))
           (cl-remove-duplicates (apply #'append (mapcar #'cdr devices))
                                 :key #'car :test #'equal :from-end t))))))

(defun vmboot--completion-candidates (schema context)
  "Completions (TEXT . DOC) from SCHEMA for CONTEXT.
CONTEXT is as `vmboot--conf-context' returns."
  (let* ((section (plist-get context :section))
         (keys (vmboot--section-keys schema section (plist-get context :type))))
    (if (eq (plist-get context :kind) 'key)
        (mapcar (lambda (key) (cons (nth 0 key) (nth 1 key))) keys)
      (let* ((name (plist-get context :key))
             (key (assoc name keys))
             (quote-it (not (plist-get context :quoted)))
             (kind (nth 2 key))
             (values (if (and (eq section 'device) (equal name "type"))
                         (mapcar #'car (plist-get schema :devices))
                       (nth 3 key))))
        (when (equal name "type")
          (setq kind 'enum))
        (mapcar (lambda (value)
                  (cons (if (and quote-it (eq kind 'enum)) (format "\"%s\"" value) value)
                        nil))
                values)))))

(defun vmboot-completion-at-point ()
  "Complete a key name, device type or value at point from the schema.
For `completion-at-point-functions'."
  (let ((context (if (derived-mode-p 'vmboot-mode)
                     (vmboot--conf-context)
                   (vmboot--yaml-context))))
    (when context
      (let ((candidates (vmboot--completion-candidates (vmboot--schema) context)))
        (when candidates
          (list (plist-get context :beg) (plist-get context :end)
                (mapcar #'car candidates)
                :exclusive 'no
                :annotation-function
                (lambda (text)
                  (let ((doc (cdr (assoc text candidates))))
                    (when doc
                      (concat "  "
                              (truncate-string-to-width doc 50 nil nil "...")))))))))))

;;;; Flymake

(defvar-local vmboot--flymake-process nil
  "The running \"vmboot --check\" of this buffer.")

(defconst vmboot--diagnostic-regexp
  (concat "^\\([^ \t\n][^\n]*?\\):\\([0-9]+\\):\\([0-9]+\\): "
          "\\(error\\|warning\\|note\\): \\(.*\\)$")
  "A FILE:LINE:COL: SEVERITY: MESSAGE line of vmboot's text output.
The source line and caret vmboot prints under it start with blanks.")

(defconst vmboot--file-diagnostic-regexp
  "^\\([^ \t\n][^\n]*?\\): \\(error\\|warning\\): \\(.*\\)$"
  "A FILE: SEVERITY: MESSAGE line: about a whole file, or vmboot's own.")

(defun vmboot--format ()
  "The syntax of this buffer, as vmboot's --format names it."
  (if (derived-mode-p 'vmboot-mode) "conf" "yaml"))

(defun vmboot--check-command (program file json)
  "The command line checking FILE with PROGRAM; with --json if JSON."
  (append (list program "--check" "--color=never")
          (and json (list "--json"))
          (list "--format" (vmboot--format))
          vmboot-check-arguments
          (list file)))

(defun vmboot--check-json-p (program)
  "Non-nil if PROGRAM's --check prints JSON with --json.
Found out once per executable, on an empty machine file."
  (let ((key (vmboot--executable-key)))
    (eq 'yes
        (or (gethash key vmboot--json-check-cache)
            (puthash key (if (vmboot--probe-json program) 'yes 'no)
                     vmboot--json-check-cache)))))

(defun vmboot--probe-json (program)
  "Non-nil if \"PROGRAM --check --json\" prints a JSON array."
  (let* ((default-directory temporary-file-directory)
         (file (make-temp-file "vmboot-probe-" nil ".conf")))
    (unwind-protect
        (with-temp-buffer
          (let ((status (ignore-errors
                          (call-process program nil (list t nil) nil "--check"
                                        "--color=never" "--json" "--format" "conf"
                                        file))))
            (and (memql status '(0 1))
                 (listp (ignore-errors (vmboot--json-parse (buffer-string))))
                 (progn (goto-char (point-min))
                        (skip-chars-forward " \t\n")
                        (eq (char-after) ?\[)))))
      (delete-file file))))

(defun vmboot--check-file ()
  "The file to check for this buffer: (FILE . TEMPORARY).
The visited file itself when the buffer is unmodified; else a copy of
the buffer in the same directory, because relative paths in a machine
file are relative to its directory (the system's temporary directory if
that one is not writable)."
  (if (and buffer-file-name
           (not (buffer-modified-p))
           (file-exists-p buffer-file-name))
      (cons (expand-file-name buffer-file-name) nil)
    (let* ((directory (if buffer-file-name
                          (file-name-directory (expand-file-name buffer-file-name))
                        default-directory))
           (directory (if (file-writable-p directory) directory temporary-file-directory))
           (file (make-temp-file (expand-file-name ".vmboot-check-" directory) nil
                                 (concat "." (vmboot--format))))
           (coding-system-for-write 'utf-8-unix))
      (save-restriction
        (widen)
        (write-region nil nil file nil 'silent))
      (cons file t))))

(defun vmboot--value-end (yaml)
  "Where the key or value at point ends; YAML non-nil in a YAML buffer."
  (cond
   ((looking-at "\"\\(?:[^\"\\\n]\\|\\\\.\\)*\"?\\|'\\(?:[^'\n]\\|''\\)*'?")
    (match-end 0))
   ((and yaml (looking-at "\\(?:[^:#\n \t]\\|:[^ \t\n]\\|[ \t]+[^ \t\n#]\\)+"))
    (match-end 0))
   ((and (not yaml) (looking-at "[-+A-Za-z0-9_.*@]+"))
    (match-end 0))))

(defun vmboot--diagnostic-region (line column yaml)
  "The region (BEG . END) a diagnostic at LINE and COLUMN covers.
From the column to the end of the key or value there; the whole line
without a column; the character there if nothing is.  YAML non-nil in a
YAML buffer."
  (save-excursion
    (save-restriction
      (widen)
      (goto-char (point-min))
      (forward-line (max 0 (1- (or line 1))))
      (let ((bol (point))
            (eol (line-end-position)))
        (if (not (and column (> column 0)))
            (cons bol (max eol (min (1+ bol) (point-max))))
          (forward-char (min (1- column) (- eol bol)))
          (let ((end (or (vmboot--value-end yaml) (point))))
            (cons (point) (if (> end (point)) end (min (1+ (point)) (point-max))))))))))

(defun vmboot--same-file-p (name file)
  "Non-nil if NAME, as vmboot printed it, is FILE."
  (or (string= name file)
      (string= (expand-file-name name) (expand-file-name file))))

(defun vmboot--record (file line column severity message checked)
  "A diagnostic record for `vmboot--flymake-diagnostics'.
SEVERITY and MESSAGE at LINE and COLUMN of FILE.  Those about another
file than CHECKED go on line 1, FILE's location in front of MESSAGE."
  (if (or (null file) (vmboot--same-file-p file checked))
      (list line column severity message)
    (list 1 nil severity
          (format "%s%s: %s" file
                  (if line (format ":%s:%s" line (or column 0)) "")
                  message))))

(defun vmboot--severity (name)
  "The flymake type for vmboot's severity NAME."
  (pcase name
    ("error" :error)
    ("warning" :warning)
    (_ :note)))

(defun vmboot-parse-text-output (output checked)
  "Diagnostic records in OUTPUT, vmboot --check's text, about CHECKED.
Each is (LINE COLUMN TYPE MESSAGE); LINE and COLUMN nil for the whole
file.  Second return: lines that are vmboot's own errors (usage)."
  (let (records others)
    (dolist (text (split-string output "\n" t))
      (cond
       ((string-match vmboot--diagnostic-regexp text)
        (push (vmboot--record (match-string 1 text)
                              (string-to-number (match-string 2 text))
                              (string-to-number (match-string 3 text))
                              (vmboot--severity (match-string 4 text))
                              (match-string 5 text) checked)
              records))
       ((and (string-match vmboot--file-diagnostic-regexp text)
             (vmboot--same-file-p (match-string 1 text) checked))
        (push (list nil nil (vmboot--severity (match-string 2 text))
                    (match-string 3 text))
              records))
       ((string-match-p "\\`[^ \t]" text)
        (push text others))))
    (cons (nreverse records) (nreverse others))))

(defun vmboot--json-message (object)
  "The message of the diagnostic OBJECT, with its suggestion."
  (let ((message (or (alist-get 'message object) ""))
        (suggestion (alist-get 'suggestion object)))
    (if (and (stringp suggestion) (not (string-empty-p suggestion))
             (not (string-match-p (regexp-quote suggestion) message)))
        (format "%s (suggestion: %s)" message suggestion)
      message)))

(defun vmboot-parse-json-output (output checked)
  "Diagnostic records in OUTPUT, vmboot --check --json's, about CHECKED.
Like `vmboot-parse-text-output'; nil if OUTPUT is not a JSON array."
  (let ((json (and (string-match-p "\\`[ \t\n]*\\[" output)
                   (ignore-errors (vmboot--json-parse output)))))
    (when (and (listp json) (not (vmboot--json-object-p json))
               (cl-every #'vmboot--json-object-p json))
      (cons (mapcar (lambda (object)
                      (let ((line (alist-get 'line object)))
                        (vmboot--record (alist-get 'file object)
                                        (and (numberp line) (> line 0) line)
                                        (alist-get 'column object)
                                        (vmboot--severity (alist-get 'severity object))
                                        (vmboot--json-message object) checked)))
                    json)
            nil))))

(defun vmboot--flymake-diagnostics (source records)
  "Flymake diagnostics in SOURCE for RECORDS from a parser above."
  (with-current-buffer source
    (let ((yaml (not (derived-mode-p 'vmboot-mode))))
      (mapcar (lambda (record)
                (let ((region (vmboot--diagnostic-region
                               (nth 0 record) (nth 1 record) yaml)))
                  (flymake-make-diagnostic source (car region) (cdr region)
                                           (nth 2 record) (nth 3 record))))
              records))))

(defun vmboot--buffer-text (buffer)
  "The text of BUFFER, or \"\" if it is dead."
  (if (buffer-live-p buffer)
      (with-current-buffer buffer (buffer-string))
    ""))

(defun vmboot--flymake-finish (source process file json stderr report-fn)
  "Report what PROCESS, checking FILE for SOURCE, found to REPORT-FN.
JSON non-nil if it ran with --json, its standard error in STDERR."
  (let* ((output (vmboot--buffer-text (process-buffer process)))
         (status (process-exit-status process))
         (errors (vmboot--buffer-text stderr))
         (parsed (or (and json (or (vmboot-parse-json-output output file)
                                   (vmboot-parse-json-output errors file)))
                     (vmboot-parse-text-output
                      (concat output "\n" errors) file)))
         (records (car parsed)))
    (when (and (null records) (not (memql status '(0 1))))
      ;; vmboot refused to check (a usage error, a crash): say why where
      ;; it shows rather than report a clean file.
      (setq records
            (list (list 1 nil :error
                        (format "vmboot --check failed (exit %s): %s" status
                                (string-join (or (cdr parsed) (list "no message"))
                                             "; "))))))
    (funcall report-fn (vmboot--flymake-diagnostics source records))))

(defun vmboot-flymake (report-fn &rest _args)
  "Flymake backend: \"vmboot --check\" on the buffer, reported to REPORT-FN.
Uses the JSON form of the diagnostics when this vmboot has it."
  (let ((program (vmboot--executable)))
    (unless program
      (error "Cannot find vmboot (`vmboot-executable' is %S)" vmboot-executable))
    ;; The local vmboot cannot read a remote file, nor its relative paths.
    (when (file-remote-p default-directory)
      (error "vmboot --check runs on local files only"))
    (when (process-live-p vmboot--flymake-process)
      (kill-process vmboot--flymake-process))
    (let* ((source (current-buffer))
           (json (vmboot--check-json-p program))
           (target (vmboot--check-file))
           (file (car target))
           (temporary (cdr target))
           (stderr (and json (generate-new-buffer " *vmboot-flymake-stderr*")))
           (stderr-pipe (and stderr (make-pipe-process :name "vmboot-flymake-stderr"
                                                       :buffer stderr :noquery t)))
           (process-connection-type nil))
      (setq vmboot--flymake-process
            (make-process
             :name "vmboot-flymake" :noquery t
             :coding 'utf-8
             :buffer (generate-new-buffer " *vmboot-flymake*")
             :stderr stderr-pipe
             :command (vmboot--check-command program file json)
             :sentinel
             (lambda (process _event)
               (unless (process-live-p process)
                 (unwind-protect
                     (when (and (buffer-live-p source)
                                (eq process (buffer-local-value
                                             'vmboot--flymake-process source)))
                       (when stderr-pipe
                         (accept-process-output stderr-pipe 0.1))
                       (vmboot--flymake-finish source process file json stderr report-fn))
                   (kill-buffer (process-buffer process))
                   (when stderr-pipe (delete-process stderr-pipe))
                   (when stderr (kill-buffer stderr))
                   (when temporary (ignore-errors (delete-file file)))))))))))

;;;; Commands

(defun vmboot-check-file ()
  "Run \"vmboot --check\" on the visited file, in a compilation buffer."
  (interactive)
  (unless buffer-file-name
    (user-error "This buffer visits no file"))
  (require 'compile)
  (save-some-buffers (not compilation-ask-about-save))
  (compilation-start
   (mapconcat #'shell-quote-argument
              (append (list vmboot-executable "--check" "--color=never"
                            "--format" (vmboot--format))
                      vmboot-check-arguments
                      (list (expand-file-name buffer-file-name)))
              " ")))

(defvar vmboot-mode-map
  (let ((map (make-sparse-keymap)))
    (define-key map (kbd "C-c C-c") #'vmboot-check-file)
    map)
  "Keymap for `vmboot-mode'.")

(defvar vmboot-yaml-mode-map (make-sparse-keymap)
  "Keymap for `vmboot-yaml-mode'.
Empty: the keys a minor mode may take are the user's to choose; bind
`vmboot-check-file' here to taste.")

;;;; The modes

;;;###autoload
(define-derived-mode vmboot-mode prog-mode "vmboot"
  "Major mode for vmboot machine files in libconfig syntax.
Font-lock, indentation (`vmboot-indent-offset'), imenu over the
devices, completion of keys and values (\\[completion-at-point]), and
`vmboot-flymake' for `flymake-mode'.

\\{vmboot-mode-map}"
  :syntax-table vmboot-mode-syntax-table
  (setq-local comment-start "# ")
  (setq-local comment-end "")
  (setq-local comment-start-skip "\\(?:#+\\|/[/*]+\\)[ \t]*")
  (setq-local font-lock-defaults '(vmboot-font-lock-keywords))
  (setq-local indent-line-function #'vmboot-indent-line)
  (setq-local electric-indent-chars (append "})]" electric-indent-chars))
  (setq-local imenu-create-index-function #'vmboot-imenu-create-index)
  (add-hook 'completion-at-point-functions #'vmboot-completion-at-point nil t)
  (add-hook 'flymake-diagnostic-functions #'vmboot-flymake nil t))

;;;###autoload
(define-minor-mode vmboot-yaml-mode
  "Minor mode for vmboot machine files in YAML.
Completion of keys and values (\\[completion-at-point]) and
`vmboot-flymake' for `flymake-mode'; the major mode (`yaml-mode',
`yaml-ts-mode') does the rest.  \\[vmboot-check-file] runs vmboot --check
on the file."
  :lighter " vmboot"
  :keymap vmboot-yaml-mode-map
  (if vmboot-yaml-mode
      (progn
        (add-hook 'completion-at-point-functions #'vmboot-completion-at-point nil t)
        (add-hook 'flymake-diagnostic-functions #'vmboot-flymake nil t))
    (remove-hook 'completion-at-point-functions #'vmboot-completion-at-point t)
    (remove-hook 'flymake-diagnostic-functions #'vmboot-flymake t)))

(defconst vmboot--detect-limit 16384
  "How far into a file the content checks look.")

;;;###autoload
(defun vmboot-conf-file-p ()
  "Return non-nil if the buffer is a .conf file resembling a machine file.
One that sets devices or kernel at its top level.  For
`magic-mode-alist'; off when `vmboot-detect-machine-files' is nil."
  (and vmboot-detect-machine-files
       buffer-file-name
       (string-match-p "\\.conf\\'" buffer-file-name)
       (save-excursion
         (save-restriction
           (widen)
           (goto-char (point-min))
           (re-search-forward "^\\(?:devices\\|kernel\\)[ \t]*[=:]"
                              (min (point-max) vmboot--detect-limit) t)))))

(defun vmboot-yaml-machine-p ()
  "Return non-nil if the YAML buffer resembles a vmboot machine file.
It has a top-level devices: or kernel: key, or a yaml-language-server
$schema comment naming vmboot or machine.schema.json."
  (save-excursion
    (save-restriction
      (widen)
      (goto-char (point-min))
      (let ((limit (min (point-max) vmboot--detect-limit)))
        (or (re-search-forward "^\\(?:devices\\|kernel\\)[ \t]*:\\(?:[ \t]\\|$\\)"
                               limit t)
            (progn
              (goto-char (point-min))
              (re-search-forward (concat "^#[ \t]*yaml-language-server:[ \t]*\\$schema="
                                         ".*\\(?:vmboot\\|machine\\.schema\\.json\\)")
                                 limit t)))))))

;;;###autoload
(defun vmboot-yaml-maybe-enable ()
  "Turn on `vmboot-yaml-mode' if the buffer resembles a machine file.
For `yaml-mode-hook' and `yaml-ts-mode-hook'."
  (when (and vmboot-detect-machine-files (vmboot-yaml-machine-p))
    (vmboot-yaml-mode 1)))

;;;###autoload
(add-to-list 'auto-mode-alist '("\\.vmboot\\.conf\\'" . vmboot-mode))
;;;###autoload
(add-to-list 'magic-mode-alist '(vmboot-conf-file-p . vmboot-mode))
;;;###autoload
(add-hook 'yaml-mode-hook #'vmboot-yaml-maybe-enable)
;;;###autoload
(add-hook 'yaml-ts-mode-hook #'vmboot-yaml-maybe-enable)

(provide 'vmboot-mode)

;;; vmboot-mode.el ends here
