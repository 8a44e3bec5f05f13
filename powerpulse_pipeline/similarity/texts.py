"""What is embedded of a conversation: its customer's messages, in order, one per line.

Stickers, attachments and empty messages carry no words and are left out; a conversation
whose customer sent only those has no text, no embedding, and no similar conversations.
"""

# Conversations of a day range with their customer text and its hash (the cache key).
CUSTOMER_TEXTS = """
    SELECT conversation_id, day, text, sha256(text) AS text_hash
    FROM (
        SELECT conversation_id, day,
            string_agg(trim(text), chr(10) ORDER BY sent_at, message_key) FILTER (
                WHERE sender_role = 'customer' AND nullif(trim(text), '') IS NOT NULL
            ) AS text
        FROM messages WHERE day BETWEEN $first_day AND $last_day
        GROUP BY conversation_id, day
    )
    WHERE text IS NOT NULL
"""
