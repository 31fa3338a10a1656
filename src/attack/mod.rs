//! ATT&CK: the Enterprise catalog (validate technique ids, names and tactics).
