"""Findings about the camera and the video pipeline (probes ``camera`` and ``media_loop``), and
the words shared by every device probe.

Owned by the device probes. Client wording names what people can see and touch ("a window
behind you", "the sound settings"), never the measurement.
"""

from __future__ import annotations

from ._entry import Entry, w

ENTRIES: dict[str, Entry] = {
    # camera ------------------------------------------------------------------------------
    "camera.missing": Entry(
        w(
            "We could not find a camera",
            "No camera was found on this computer, so the other person will not see you.",
            "If your camera plugs in, plug it in and run the check again.",
            "If it has a cover or an on/off switch, open it or switch it on.",
            "Without a camera, you can still have the session by sound only.",
        ),
        w(
            "The client has no working camera",
            "No camera was found ({detail}); the session can go ahead by audio only.",
        ),
        w(
            "No camera found",
            "Camera {device}: {detail}.",
            "Check `sessioncheck devices`; on Linux /dev/video*, on macOS/Windows the OS camera list.",
        ),
        fields=("device", "detail"),
    ),
    "camera.busy": Entry(
        w(
            "Another program is using your camera",
            "Your camera is in use by another program ({holders}), so it cannot be used for the session.",
            "Close {holders}, or any other video-call program.",
            "Run the check again.",
        ),
        w(
            "The client's camera is held by another program",
            "The camera is busy ({holders}).",
            "Ask the client to close other video-call programs.",
        ),
        w(
            "Camera busy",
            "Camera {device} busy: {detail}; held by: {holders}.",
        ),
        fields=("device", "detail", "holders"),
    ),
    "camera.permission_denied": Entry(
        w(
            "Your computer does not allow the camera to be used",
            "The camera is there, but your computer's privacy settings block it.",
            "Open {setting}.",
            "Run the check again.",
        ),
        w(
            "The client's camera is blocked by privacy settings",
            "The OS refused access to the camera.",
            "Guide the client to: {setting}.",
        ),
        w("Camera permission denied", "Camera {device}: {detail} (OS {os}).", "Grant camera access: {setting}."),
        fields=("device", "detail", "os", "setting"),
    ),
    "camera.unplugged": Entry(
        w(
            "Your camera stopped during the check",
            "The camera stopped sending a picture part way through. It may have come loose.",
            "Check the camera's cable, or plug it into another socket.",
            "Run the check again.",
        ),
        w(
            "The client's camera stopped mid-test",
            "The picture stopped after {frames} frames; it may stop during the session too.",
            "Ask the client to reconnect the camera.",
        ),
        w(
            "Camera stopped delivering frames",
            "Camera {device}: {detail} ({frames} frames received).",
        ),
        fields=("device", "detail", "frames"),
    ),
    "camera.source_invalid": Entry(
        w(
            "The camera picture could not be read",
            "The picture source chosen for this check could not be read.",
            "Run the check again without choosing a camera, so the usual one is used.",
        ),
        w(
            "The chosen camera source could not be read",
            "{detail}.",
        ),
        w(
            "Camera source unreadable",
            "{device}: {detail}.",
            "Check the --camera value: a device, a media file, or lavfi:<graph>.",
        ),
        fields=("device", "detail"),
    ),
    "camera.covered": Entry(
        w(
            "Your camera shows only darkness",
            "The picture is black or almost completely dark and plain, as if something covers the camera.",
            "Check whether a sticker, a cover or a sliding shutter is over the camera, and open it.",
            "Some laptops have a camera switch or key: switch the camera on.",
            "Run the check again.",
        ),
        w(
            "The client's camera shows nothing",
            "The picture is black or covered ({black_pct:.0f}% black, {covered_pct:.0f}% covered frames).",
            "Ask the client to uncover the camera or open its shutter.",
        ),
        w(
            "Black or covered picture",
            "Black frames {black_pct:.1f}%, covered (dark, uniform) frames {covered_pct:.1f}%, "
            "mean luma {mean_luma:.0f}.",
        ),
        fields=("black_pct", "covered_pct", "mean_luma"),
    ),
    "camera.frozen": Entry(
        w(
            "Your camera picture is frozen",
            "The camera keeps sending the same picture, so you will look frozen to the other person.",
            "Close other programs that might use the camera.",
            "Unplug the camera and plug it in again, or restart your computer.",
            "Run the check again.",
        ),
        w(
            "The client's camera picture is frozen",
            "{frozen_pct:.0f}% of the frames were identical; the client will look frozen.",
            "Ask the client to restart the camera or the computer.",
        ),
        w(
            "Frozen frames",
            "Identical consecutive frames: {frozen_pct:.1f}% of {frames}.",
        ),
        fields=("frozen_pct", "frames"),
    ),
    "camera.too_dark": Entry(
        w(
            "Your picture is too dark",
            "The other person will find it hard to see your face.",
            "Turn on a light in front of you, for example a lamp behind your screen.",
            "Open the curtains if it is daytime, with the window in front of you, not behind.",
        ),
        w(
            "The client's picture is dark",
            "Their face will be hard to read.",
            "Ask the client to add a light in front of them.",
        ),
        w(
            "Under-exposed picture",
            "Mean luma {mean_luma:.0f} (threshold {threshold:.0f}), {under_pct:.0f}% of pixels under-exposed.",
        ),
        fields=("mean_luma", "threshold", "under_pct"),
    ),
    "camera.backlit": Entry(
        w(
            "There is a bright light or a window behind you",
            "Your face looks dark against the bright background.",
            "Turn so that the window or lamp is in front of you, not behind you.",
            "Or close the curtains behind you and put a light in front of you.",
        ),
        w(
            "The client is backlit",
            "A bright background (probably a window) darkens their face.",
            "Ask the client to turn towards the light or close the curtains behind them.",
        ),
        w(
            "Backlit subject",
            "Surround is {backlight:.0f} luma levels brighter than the subject (subject {subject_luma:.0f}, "
            "threshold {threshold:.0f}); over-exposed {over_pct:.0f}%.",
        ),
        fields=("backlight", "subject_luma", "threshold", "over_pct"),
    ),
    "camera.blurry": Entry(
        w(
            "Your picture is blurry",
            "The other person will not see your face clearly.",
            "Gently wipe the camera lens with a soft cloth.",
            "Sit a little further from the camera if you are very close.",
            "If your camera can focus, let it focus on your face.",
        ),
        w(
            "The client's picture is blurry",
            "Their expressions will be hard to read.",
            "Ask the client to clean the camera lens.",
        ),
        w(
            "Blurred picture",
            "Variance of the Laplacian {blur_var:.1f} (threshold {threshold:.0f}) at 640 px width.",
        ),
        fields=("blur_var", "threshold"),
    ),
    "camera.no_face": Entry(
        w(
            "We could not see your face",
            "The camera works, but we did not find a face in the picture.",
            "Sit in front of the camera, facing it, during the session.",
        ),
        w(
            "No face was visible during the camera check",
            "The client may not have been in view.",
        ),
        w(
            "No face detected",
            "No frontal face in {checks} checked frames.",
        ),
        fields=("checks",),
    ),
    "camera.face_off_centre": Entry(
        w(
            "Your face is near the edge of the picture",
            "The other person may see only part of you.",
            "Move your screen or your seat so your face is in the middle of the picture.",
        ),
        w(
            "The client is off-centre",
            "Their face sits near the edge of the frame.",
        ),
        w(
            "Face off-centre",
            "Face centre at x={face_x:.2f}, y={face_y:.2f} of the frame.",
        ),
        fields=("face_x", "face_y"),
    ),
    "camera.face_too_far": Entry(
        w(
            "You are far from the camera",
            "Your face looks small, so expressions are hard to see.",
            "Sit closer, so your head and shoulders fill most of the picture.",
        ),
        w(
            "The client is far from the camera",
            "Their face is small in the picture.",
        ),
        w(
            "Face small in frame",
            "Face width {face_size_pct:.0f}% of the frame (threshold {threshold:.0f}%).",
        ),
        fields=("face_size_pct", "threshold"),
    ),
    "camera.too_slow": Entry(
        w(
            "Your camera picture is jerky",
            "Your camera sends only a few pictures per second, so your movements will look jerky.",
            "Add light in front of you: many cameras slow down in the dark.",
            "Close other programs that use the camera or a lot of power.",
        ),
        w(
            "The client's camera is slow",
            "The picture will look jerky.",
        ),
        w(
            "Low camera frame rate",
            "{fps:.1f} fps achieved (threshold {threshold:.0f} fps), {width}x{height}.",
        ),
        fields=("fps", "threshold", "width", "height"),
    ),
    # media_loop --------------------------------------------------------------------------
    "media_loop.cpu_short": Entry(
        w(
            "Your computer may struggle to send high-quality video",
            "Your computer is too busy to handle sharp video smoothly, so the picture may be "
            "less sharp or jerky. Programs using the most power: {top}.",
            "Close programs you do not need, especially {top}.",
            "Plug in your laptop: some computers slow down on battery.",
        ),
        w(
            "The client's computer is short of power for sharp video",
            "Expect a lower-quality picture from them. Busy programs: {top}.",
            "Ask the client to close other programs.",
        ),
        w(
            "Insufficient CPU for 720p",
            "720p loop {fps:.1f} fps of {target:.0f}, encode {encode_ms:.1f} ms/frame, CPU headroom "
            "{headroom:.0f}% (threshold {threshold:.0f}%); top processes: {top}.",
        ),
        fields=("top", "fps", "target", "encode_ms", "headroom", "threshold"),
    ),
    "media_loop.cpu_too_slow": Entry(
        w(
            "Your computer is too busy for video",
            "Your computer cannot handle even basic video right now. Programs using the most power: {top}.",
            "Close programs you do not need, especially {top}, and run the check again.",
            "If it stays slow, have the session by sound only.",
        ),
        w(
            "The client's computer cannot handle video",
            "Even low-resolution video could not be processed in real time. Busy programs: {top}.",
            "Use audio only.",
        ),
        w(
            "Insufficient CPU for 480p",
            "480p loop {fps:.1f} fps of {target:.0f}, encode {encode_ms:.1f} ms/frame; top processes: {top}.",
        ),
        fields=("top", "fps", "target", "encode_ms"),
    ),
}

PHRASES: dict[str, str] = {
    "devices.unknown_holder": "another program",
    "devices.permission.camera.Darwin": "System Settings > Privacy & Security > Camera, and "
    "allow the program you use for sessions",
    "devices.permission.camera.Windows": "Settings > Privacy & security > Camera, and turn on "
    "camera access for apps and desktop apps",
    "devices.permission.camera.Linux": "your computer's settings for camera access (your "
    'account may need to be in the "video" group; ask whoever looks after your computer)',
    "devices.permission.camera.other": "your computer's privacy settings for the camera",
    "devices.permission.microphone.Darwin": "System Settings > Privacy & Security > "
    "Microphone, and allow the program you use for sessions",
    "devices.permission.microphone.Windows": "Settings > Privacy & security > Microphone, "
    "and turn on microphone access for apps and desktop apps",
    "devices.permission.microphone.Linux": "your computer's sound settings (your account may "
    'need to be in the "audio" group; ask whoever looks after your computer)',
    "devices.permission.microphone.other": "your computer's privacy settings for the microphone",
    "devices.heading.cameras": "Cameras",
    "devices.heading.audio": "Microphones and speakers",
    "devices.none.cameras": "No camera found.",
    "devices.none.audio": "No microphone or speaker found.",
    "devices.audio_unavailable": "Sound devices could not be listed: {reason}",
}
