"""The kernel: what every layer may import and no domain owns (who is acting, what a domain contributes)."""
