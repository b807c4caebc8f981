"""What a user asks for, as library calls: stylize a video, an image or a folder, a live camera.

Each job plans (checks everything), opens what it needs, and runs; the CLI commands only
parse arguments into these calls.
"""
