Feature: What a GB Communications Hub may legally do, and the device copes with
  The hub the suite plays behaves as a GB Communications Hub by default (docs/harness.md, "The
  hub the suite plays"): Image Notify payload type 3 with query jitter 100, and an Upgrade End
  Response with upgrade time 0xFFFFFFFF (wait for a further command) followed by the activating
  Upgrade End Response. ZigBee document 095264 (the OTA Upgrade cluster, domain.md section 3) also
  leaves a server room a device must not assume away: the Image Block Response carries its own
  data size, at most the maximum the device asked for and not necessarily that much, on any block
  and block after block of different sizes; and the server answers when it can, within the
  time the device waits for an answer (the device's declared response timeout, PICS
  `response_timeout_ms`).

  Background:
    Given a premises whose electricity meter is supplied by "Supplier A" and whose gas meter is supplied by "Supplier B"
    And the device is paired with the hub and every meter at the premises
    And the device runs image "original"
    And a signed image "new" of "20 kB" with a newer file version

  Rule: SECMP7-HUB-001 Blocks shorter than asked for are data received, not only the last one
    Image Block Response (0x05): file offset, data size, data; the data size is at most the
    maximum data size of the request.

    @SECMP7-HUB-001 @side-device
    Scenario: The device installs an image served in blocks shorter than it asks for
      Given the hub serves blocks shorter than the device asks by "7" octets in turn
      When the hub offers image "new" to the device
      And the download runs to its end
      And "1 minute" pass
      Then every Image Block Request names image "new" and continues from the data received
      And the device runs image "new"

  Rule: SECMP7-HUB-002 Block sizes may vary within one download
    Each Image Block Response says its own data size; nothing makes one block's size that of the
    next.

    @SECMP7-HUB-002 @side-device
    Scenario: The device installs an image served in blocks of varying sizes
      Given the hub serves blocks shorter than the device asks by "0, 13, 1, 40, 7, 0, 25" octets in turn
      When the hub offers image "new" to the device
      And the download runs to its end
      And "1 minute" pass
      Then every Image Block Request names image "new" and continues from the data received
      And the device runs image "new"

  Rule: SECMP7-HUB-003 The device waits for an answer as long as it declares
    The hub answers every Query Next Image, Image Block and Upgrade End Request a quarter of a
    second before the device's declared response timeout runs out: late, and in time; also while
    a minimum block period shorter than that timeout is in force.

    @SECMP7-HUB-003 @side-device
    Scenario: The device downloads and installs an image from a hub that answers at the edge of its response timeout
      Given a signed image "small" of "2 kB" with a newer file version
      And the hub answers every request just within the device's response timeout
      When the hub offers image "small" to the device
      And the download runs to its end
      And "1 minute" pass
      Then the device repeats no request before its response timeout has run out
      And every Image Block Request names image "small" and continues from the data received
      And the device runs image "small"

    @SECMP7-HUB-003 @side-device
    Scenario: The device waits its response timeout, not the minimum block period, for a late answer
      The minimum block period spaces the device's requests; it does not shorten the time the
      device waits for the answer to one.
      Given a signed image "small" of "2 kB" with a newer file version
      And the hub sets the minimum block period to "1 second"
      And the hub answers every request just within the device's response timeout
      When the hub offers image "small" to the device
      And the download runs to its end
      And "1 minute" pass
      Then the device repeats no request before its response timeout has run out
      And no two Image Block Requests are less than "1 second" apart
      And the device runs image "small"

  Rule: SECMP7-HUB-004 The device runs the image on a GB hub's activating Upgrade End Response
    A GB hub answers Upgrade End Request SUCCESS with upgrade time 0xFFFFFFFF and sends the
    activating Upgrade End Response at the activation the Service Request asks for; meanwhile the
    device holds the image, ImageUpgradeStatus 3 (waiting to upgrade).

    @SECMP7-HUB-004 @SECMP7-ACT-004 @side-device
    Scenario: The device holds the image until the hub activates it an hour after the download
      Given the hub will set the upgrade time to "wait for a further command, sent 1 hour later"
      When the hub offers image "new" to the device
      And the download runs to its end
      And "59 minutes" pass
      Then the device runs image "original"
      And the device reports ImageUpgradeStatus "waiting to upgrade"
      When "2 minutes" pass
      Then the device runs image "new"
      And the device reports ImageUpgradeStatus "normal"
