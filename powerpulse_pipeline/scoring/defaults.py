"""Every scorer default, once: settings.py, the Dagster resource and the OpenAI scorer read
these, and the README's configuration table states them."""

MODE = "auto"  # openai when OPENAI_API_KEY is set, else offline
MODEL = "gpt-4o-mini"
CONCURRENCY = 32
TIMEOUT_SECONDS = 60.0
MAX_ATTEMPTS = 6
MASK_PII = True
# A conversation that has waited this long (retries included) is recorded as failed.
MAX_SECONDS_PER_CONVERSATION = 300.0
