"""Browser: the client's side of the peer test in a web browser (issue 6, /join page).

Shown by the page ``sessioncheck serve`` hosts at /join (server/static/join.js), which gets
these phrases from the server. The page fills {detail} and {what} itself.
"""

from __future__ import annotations

PHRASES: dict[str, str] = {
    "browser.title": "Test the connection to your therapist",
    "browser.intro": (
        "Type the code your therapist gave you and press Start. The test takes about half a "
        "minute. Your camera and microphone are used only to send test pictures and sound "
        "to your therapist's computer; nothing is recorded."
    ),
    "browser.code_label": "Code",
    "browser.start": "Start",
    "browser.step.media": "Asking to use your camera and microphone...",
    "browser.step.no_media": (
        "Your camera and microphone could not be used ({detail}); the test goes on without them."
    ),
    "browser.step.server": "Contacting the test server...",
    "browser.step.joined": "Found your therapist's test. Connecting to their computer...",
    "browser.step.connected": "Connected. Measuring the delay between you and your therapist...",
    "browser.step.upload": "Measuring how fast you can send to your therapist...",
    "browser.step.therapist_upload": "Measuring how fast your therapist can send to you...",
    "browser.step.media_leg": "Sending test sound and video both ways, like a call...",
    "browser.step.results": "Putting the results together...",
    "browser.done": "Done. Your therapist has the same results.",
    "browser.failed": "The test could not finish: {detail}",
    "browser.error.no_code": "Please type the code your therapist gave you.",
    "browser.error.unsupported": (
        "This browser cannot run the test. Please use an up-to-date Chrome, Edge, Firefox or Safari."
    ),
    "browser.error.server": "The test server did not answer. Check your internet connection and try again.",
    "browser.error.server_lost": "the connection to the test server was lost",
    "browser.error.peer_left": "your therapist's computer left the test",
    "browser.error.connect": (
        "your computer could not connect to your therapist's, neither directly nor through the clinic's server"
    ),
    "browser.error.silent": "your therapist's computer did not {what} in time",
}
