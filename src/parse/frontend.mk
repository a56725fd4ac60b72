# Front ends: node tree, libconfig, YAML, file reading
