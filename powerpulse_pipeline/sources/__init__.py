"""Where chats come from besides the drop folder: each source lands files the inbox reads."""
