"""The explorer (DESIGN.md section 9): a Streamlit app over the analysts' copy. It calls the
semantic layer and ask/ and writes no SQL of its own."""
