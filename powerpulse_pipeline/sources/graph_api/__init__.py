"""The Graph API Messenger sync (DESIGN section 12): client, token, paging state, landing."""
