"""Actions: the one gate (Controller), the policy it applies, delegation, hardening and audit."""
