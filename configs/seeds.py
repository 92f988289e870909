"""The chat functions from Gradio's ChatInterface guide, unchanged in meaning."""

import random
import time

import chatserve


def random_response(message, history):
    return random.choice(["Yes", "No"])


def alternatingly_agree(message, history):
    if len([h for h in history if h["role"] == "assistant"]) % 2 == 0:
        return f"Yes, I do think that: {message}"
    else:
        return "I don't think so"


def slow_echo(message, history):
    for i in range(len(message)):
        time.sleep(0.3)
        yield "You typed: " + message[: i + 1]


def yes_man(message, history):
    if message.endswith("?"):
        return "Yes"
    else:
        return "Ask me anything!"


def count_images(message, history):
    num_images = len(message["files"])
    total_images = 0
    for message in history:
        if isinstance(message["content"], tuple):
            total_images += 1
    return f"You just uploaded {num_images} images, total uploaded: {total_images + num_images}"


def echo(message, history, system_prompt, tokens):
    response = f"System prompt: {system_prompt}\n Message: {message}."
    for i in range(min(len(response), int(tokens))):
        time.sleep(0.05)
        yield response[: i + 1]


def music(message, history):
    if message.strip():
        return chatserve.Audio(
            "https://github.com/gradio-app/gradio/raw/main/test/test_files/audio_sample.wav"
        )
    else:
        return "Please provide the name of an artist"


def fake(message, history):
    if message.strip():
        return {
            "role": "assistant",
            "content": {
                "path": "https://github.com/gradio-app/gradio/raw/main/test/test_files/audio_sample.wav"
            },
        }
    else:
        return "Please provide the name of an artist"


example_code = """
Here's the code I generated:

def greet(x):
    return f"Hello, {x}!"

Is this correct?
"""


def chat(message, history):
    if message == "Yes, that's correct.":
        return "Great!"
    else:
        return {
            "role": "assistant",
            "content": example_code,
            "options": [{"value": "Yes, that's correct.", "label": "Yes"}, {"value": "No"}],
        }


def generate_response(message, history):
    # The Chatbot docs' tool-use thought, with a nested child and a pending step resolved.
    yield [
        chatserve.ChatMessage(
            content="Looking up the weather in New York…",
            metadata={"title": "🛠️ Used tool Weather API", "id": "weather", "status": "pending"},
        )
    ]
    time.sleep(0.3)
    yield [
        chatserve.ChatMessage(
            content="Called `GET /forecast?city=NYC`",
            metadata={
                "title": "🛠️ Used tool Weather API",
                "id": "weather",
                "status": "done",
                "duration": 0.3,
            },
        ),
        chatserve.ChatMessage(
            content="20 °C, clear sky",
            metadata={"title": "Response", "parent_id": "weather", "log": "HTTP 200"},
        ),
        chatserve.ChatMessage(content="The weather API says it is 20 degrees Celsius in New York."),
    ]
