"""Database engine, sessions, base class and portable column types."""
