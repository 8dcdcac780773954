"""Playbooks: versioned templates of steps, run on conversations as checklists with due times and a solve guard."""
