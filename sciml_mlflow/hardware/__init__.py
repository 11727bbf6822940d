"""Hardware identity: what this machine is, and which configured profile it matches."""
