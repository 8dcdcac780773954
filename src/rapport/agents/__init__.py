"""Agents, teams, roles, API tokens and sign-in."""
