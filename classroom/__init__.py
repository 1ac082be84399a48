"""The school's domain: who takes part in a live session and what each may do."""
