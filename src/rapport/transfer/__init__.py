"""Moving data in and out in bulk: import (JSONL/CSV), export (JSONL), and the demo generator."""
