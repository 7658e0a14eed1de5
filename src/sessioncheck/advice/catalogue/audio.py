"""Findings about the microphone and the speaker (probes ``microphone`` and ``speaker``).

Owned by the device probes. Client wording names what people can see and touch ("a window
behind you", "the sound settings"), never the measurement.
"""

from __future__ import annotations

from ._entry import Entry, w

ENTRIES: dict[str, Entry] = {
    # microphone --------------------------------------------------------------------------
    "microphone.missing": Entry(
        w(
            "We could not find a microphone",
            "No microphone was found, so the other person will not hear you.",
            "If you use a headset, plug it in (or switch it on and connect it).",
            "Run the check again.",
            "If there is still no microphone, call your therapist by phone.",
        ),
        w("The client has no working microphone", "No microphone was found ({detail}).", "Switch to a phone call."),
        w(
            "No microphone found",
            "Input {device}: {detail}.",
            "Check `sessioncheck devices` and the OS sound input settings.",
        ),
        fields=("device", "detail"),
    ),
    "microphone.busy": Entry(
        w(
            "Another program is using your microphone",
            "Your microphone is in use by another program ({holders}).",
            "Close {holders}, or any other call program.",
            "Run the check again.",
        ),
        w(
            "The client's microphone is held by another program",
            "Busy: {holders}.",
            "Ask the client to close other call programs.",
        ),
        w(
            "Microphone busy",
            "Input {device}: {detail}; held by: {holders}.",
        ),
        fields=("device", "detail", "holders"),
    ),
    "microphone.permission_denied": Entry(
        w(
            "Your computer does not allow the microphone to be used",
            "The microphone is there, but your computer's privacy settings block it.",
            "Open {setting}.",
            "Run the check again.",
        ),
        w(
            "The client's microphone is blocked by privacy settings",
            "The OS refused access.",
            "Guide the client to: {setting}.",
        ),
        w("Microphone permission denied", "Input {device}: {detail} (OS {os}).", "Grant microphone access: {setting}."),
        fields=("device", "detail", "os", "setting"),
    ),
    "microphone.unplugged": Entry(
        w(
            "Your microphone stopped during the check",
            "The microphone stopped sending sound part way through. It may have come loose.",
            "Check the headset or microphone cable, or its battery if it is wireless.",
            "Run the check again.",
        ),
        w(
            "The client's microphone stopped mid-test",
            "It may drop out during the session.",
            "Ask the client to reconnect their microphone or headset.",
        ),
        w(
            "Microphone stopped delivering sound",
            "Input {device}: {detail}.",
        ),
        fields=("device", "detail"),
    ),
    "microphone.source_invalid": Entry(
        w(
            "The microphone sound could not be read",
            "The sound source chosen for this check could not be read.",
            "Run the check again without choosing a microphone, so the usual one is used.",
        ),
        w(
            "The chosen microphone source could not be read",
            "{detail}.",
        ),
        w(
            "Microphone source unreadable",
            "{device}: {detail}.",
            "Check the --microphone value: a device, a media file, or lavfi:<graph>.",
        ),
        fields=("device", "detail"),
    ),
    "microphone.muted": Entry(
        w(
            "Your microphone is muted",
            "We received complete silence, which usually means the microphone is muted or blocked.",
            "Check the mute switch or button on your headset or keyboard.",
            "Check that the microphone is not muted in your sound settings.",
            "If your computer asks for permission, allow the microphone: {setting}.",
        ),
        w(
            "The client's microphone is muted",
            "Their microphone sends pure silence.",
            "Ask the client to unmute their microphone.",
        ),
        w(
            "Digital silence from the input",
            "Every sample was zero over {seconds:.1f} s from {device}: muted, blocked by privacy "
            "settings (macOS sends zeros), or a dead input.",
        ),
        fields=("seconds", "device", "setting"),
    ),
    "microphone.silent": Entry(
        w(
            "We could hardly hear anything from your microphone",
            "The sound from your microphone is extremely quiet.",
            "Say a few words during the check.",
            "Check that the right microphone is chosen in your sound settings and that its volume is up.",
            "If you use a headset, check that its microphone arm is down near your mouth.",
        ),
        w(
            "The client's microphone is almost silent",
            "They may not be heard.",
            "Ask the client to check their microphone choice and volume.",
        ),
        w(
            "Very low input level",
            "Peak {peak_dbfs:.1f} dBFS (threshold {threshold:.0f} dBFS) from {device}.",
        ),
        fields=("peak_dbfs", "threshold", "device"),
    ),
    "microphone.clipping": Entry(
        w(
            "Your microphone is too loud and distorts",
            "Your voice is so loud that it breaks up.",
            "Turn the microphone volume down in your sound settings.",
            "Move the microphone a little further from your mouth.",
        ),
        w(
            "The client's microphone distorts",
            "Their voice will sound harsh and broken.",
            "Ask the client to lower the microphone volume.",
        ),
        w(
            "Input clipping",
            "{clip_pct:.2f}% of samples at full scale (threshold {threshold:.2f}%); peak {peak_dbfs:.1f} dBFS.",
        ),
        fields=("clip_pct", "threshold", "peak_dbfs"),
    ),
    "microphone.noisy": Entry(
        w(
            "There is a lot of background noise",
            "The other person will hear noise behind your voice.",
            "Move to a quieter room, or close windows and doors.",
            "Turn off fans, music or the television nearby.",
            "A headset with a microphone near your mouth helps.",
        ),
        w(
            "The client's surroundings are noisy",
            "Background noise will mix with their voice.",
            "Suggest a quieter room or a headset.",
        ),
        w(
            "High noise floor",
            "Noise floor {noise_floor_dbfs:.1f} dBFS (threshold {threshold:.0f}), voice-to-noise {snr_db:.1f} dB.",
        ),
        fields=("noise_floor_dbfs", "threshold", "snr_db"),
    ),
    "microphone.hum": Entry(
        w(
            "Your microphone picks up a humming sound",
            "A low hum from the electricity supply will be heard behind your voice.",
            "If your laptop is charging, try unplugging the charger for a moment: if the hum stops, "
            "use it on battery during the session.",
            "Move microphone cables away from power cables.",
            "Try another socket, or another microphone.",
        ),
        w(
            "The client's microphone hums",
            "A mains hum will be heard behind their voice.",
            "Ask the client to unplug the charger or use a headset.",
        ),
        w(
            "Mains hum",
            "{hum_hz:.0f} Hz line {prominence_db:.0f} dB above its neighbourhood, at {hum_dbfs:.1f} dBFS.",
        ),
        fields=("hum_hz", "prominence_db", "hum_dbfs"),
    ),
    "microphone.narrowband": Entry(
        w(
            "Your headset switched to call mode; sound will be muffled",
            "Your wireless headset is using its low-quality call mode, so both of you will sound "
            "muffled, like an old telephone.",
            "Use your computer's own microphone, or a wired headset, and keep the wireless headset for listening only.",
            "Or, in your sound settings, choose the headset's normal (not hands-free) output and another microphone.",
        ),
        w(
            "The client's headset is in call (hands-free) mode",
            "Their voice will sound like a telephone.",
            "Ask the client to use the computer's microphone or a wired headset.",
        ),
        w(
            "Narrowband input",
            "Input at {sample_rate} Hz with {channels} channel(s); energy above 4.2 kHz {hf_ratio}. "
            "Typical of Bluetooth HFP/HSP.",
        ),
        fields=("sample_rate", "channels", "hf_ratio"),
    ),
    # speaker -----------------------------------------------------------------------------
    "speaker.missing": Entry(
        w(
            "We could not find a speaker or headphones",
            "No sound output was found, so you will not hear the other person.",
            "Plug in headphones or speakers, or switch on your wireless headset.",
            "Run the check again.",
            "If there is still no sound output, call your therapist by phone.",
        ),
        w("The client has no sound output", "No speaker was found ({detail}).", "Switch to a phone call."),
        w(
            "No output device",
            "Output {device}: {detail}.",
            "Check `sessioncheck devices` and the OS sound output settings.",
        ),
        fields=("device", "detail"),
    ),
    "speaker.unavailable": Entry(
        w(
            "Your speaker could not be used",
            "Sound could not be played on your speaker or headphones.",
            "Close other programs that play sound, especially other call programs.",
            "Unplug the headphones and plug them in again, then run the check again.",
        ),
        w(
            "The client's speaker could not be tested",
            "{detail}.",
        ),
        w(
            "Output device unusable",
            "Output {device} ({problem}): {detail}. Held by: {holders}.",
        ),
        fields=("device", "problem", "detail", "holders"),
    ),
    "speaker.no_sound_heard": Entry(
        w(
            "We could not hear our test sound",
            "We played a short sound but the microphone did not pick it up. That is fine if you "
            "wear headphones. Otherwise your speaker may be off or too quiet.",
            "If you are not wearing headphones, turn the volume up and check the sound is not muted.",
            "Check that the right speaker is chosen in your sound settings.",
        ),
        w(
            "The client's test sound was not heard",
            "Either they wear headphones (fine) or their speaker is silent.",
            "Ask the client whether they can hear you.",
        ),
        w(
            "Test chirp not detected",
            "No correlation peak from {device} into {microphone} (background {background_dbfs:.1f} dBFS).",
        ),
        fields=("device", "microphone", "background_dbfs"),
    ),
    "speaker.echo_strong": Entry(
        w(
            "Your speaker will echo into the call: use headphones",
            "Your microphone picks up a lot of the sound from your speaker, so the other person "
            "may hear themselves echo.",
            "Use headphones or earbuds for the session.",
            "If you have none, turn the speaker volume down a little.",
        ),
        w(
            "Strong echo path on the client's side",
            "Their microphone hears their speaker loudly; you may hear an echo of yourself.",
            "Ask the client to use headphones.",
        ),
        w(
            "Strong speaker-to-microphone coupling",
            "Test chirp came back at {echo_db:.1f} dB (threshold {threshold:.0f} dB), loop delay {delay}.",
        ),
        fields=("echo_db", "threshold", "delay"),
    ),
    "speaker.unverified": Entry(
        w(
            "We could not check your speaker by ourselves",
            "No microphone could listen to our test sound, so please check that you can hear sound.",
            "Play a sound or a video and check that you hear it.",
        ),
        w(
            "The client's speaker was not verified",
            "{detail}.",
        ),
        w(
            "Speaker unverified",
            "{detail}.",
        ),
        fields=("detail",),
    ),
}
