/*
 * Sizes and options of the board firmware, in one place. Every buffer is sized from these; the
 * protocol's limits come from docs/protocol.md (§1.1 MAX_MESSAGE, §2 frame sizes).
 */
#ifndef TB_CONFIG_H
#define TB_CONFIG_H

#define TB_FIRMWARE_VERSION "1.0.0-board"
/* Largest APDU accepted or sent (docs/protocol.md §1.1); reported in GET_INFO. */
#define TB_MAX_MESSAGE 4096
/* A frame's payload: the largest APDU plus room for an extended header and Le (§2). */
#define TB_MAX_PAYLOAD (TB_MAX_MESSAGE + 16)
/* header 3 + payload + CRC 4, and its COBS size: n + n/254 + 1 (= 4136 for 4119). */
#define TB_MAX_DECODED (3 + TB_MAX_PAYLOAD + 4)
#define TB_MAX_ENCODED (TB_MAX_DECODED + TB_MAX_DECODED / 254 + 1)
/* The firmware's own answers are short (GET_INFO is the longest, about 150 bytes). */
#define TB_MAX_RESPONSE 512
/* A partial frame older than this is dropped at the next byte (§2). */
#define TB_STREAM_TIMEOUT_MS 1000
/* Channels (stream sessions) that may hold a pending AUTHENTICATE challenge at once. */
#define TB_AUTH_SLOTS 4
/*
 * The largest firmware image FW_BEGIN takes: the primary image slot (flash sectors 0-1, 32 KB),
 * which a staged image would replace. The golden model's emulated tokens take up to 1 MB.
 */
#define TB_FW_MAX_IMAGE 32768u
/* DETAIL texts are cut at 200 bytes (§1.3). */
#define TB_DETAIL_MAX 200

/*
 * TB_TEST_CLOCK: ADVANCE_CLOCK works (the posix and QEMU builds, which the lockstep tests drive);
 * a board for real use answers it 6A81, as the spec says for boards.
 */
#ifndef TB_TEST_CLOCK
#define TB_TEST_CLOCK 0
#endif

/*
 * TB_MODEL_DSC: 0 builds the DSC+ (OCRA challenge/response), 1 the older DSC (hold PRESS 2 s,
 * masked PIN, a TOTP or HOTP passcode): `make MODEL=dsc`. docs/devices.md, firmware/device/dsc.ts.
 */
#ifndef TB_MODEL_DSC
#define TB_MODEL_DSC 0
#endif

#endif
