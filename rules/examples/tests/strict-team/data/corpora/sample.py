# The team adds data/corpora/** to the default's training-data paths: the inherited rule covers it.
# expect: rival-ai-output-in-training-data
# provguard: kind=ai-chat-paste tool=chatgpt vendor=openai reviewed-by=dana@example.com
def clean(text):
    return text.strip()
