Feature: Image Notify, query jitter, periodic queries and the image's hardware range
  What a ZigBee OTA test house checks of an OTA client before any download: which Image Notify
  commands it answers and how often (ZigBee document 095264 §6.10.3, Image Notify Command), that
  it asks its server on its own when it says it does, and that it takes an image made for its
  hardware version and no other (the OTA header's minimum and maximum hardware version). The hub
  the suite plays sends these notifies itself, offering nothing: it answers every Query Next Image
  Request NO_IMAGE_AVAILABLE. A notify is answered when a Query Next Image Request follows it
  within the PICS response timeout.

  Background:
    Given a premises whose electricity meter is supplied by "Supplier A" and whose gas meter is supplied by "Supplier B"
    And the device is paired with the hub and every meter at the premises
    And the device runs image "original"

  Rule: SECMP7-NTFY-001 A broadcast Image Notify is answered only when the fields it names are the device's
    Payload type 0 names no field, 1 the manufacturer code, 2 also the image type, 3 also the new
    file version. Each field named must be the device's own value or the wildcard (0xFFFF for the
    image type); otherwise the notify is not for this device. Query jitter 100: every notify that
    is for the device is answered.

    @SECMP7-NTFY-001 @side-device
    Scenario Outline: The device <outcome> a broadcast Image Notify of payload type <type> naming "<fields>"
      When the hub broadcasts 1 Image Notify of payload type <type> with query jitter 100 naming "<fields>"
      Then the device answers <share>

      Examples:
        | outcome | type | fields                                                                        | share             |
        | answers | 0    | nothing                                                                       | each Image Notify |
        | answers | 1    | the device's manufacturer code                                                | each Image Notify |
        | ignores | 1    | another manufacturer code                                                     | no Image Notify   |
        | answers | 2    | the device's manufacturer code, the device's image type                       | each Image Notify |
        | answers | 2    | the device's manufacturer code, the wildcard image type                       | each Image Notify |
        | ignores | 2    | the device's manufacturer code, another image type                            | no Image Notify   |
        | ignores | 2    | another manufacturer code, the device's image type                            | no Image Notify   |
        | answers | 3    | the device's manufacturer code, the device's image type, a newer file version | each Image Notify |
        | ignores | 3    | another manufacturer code, the device's image type, a newer file version      | no Image Notify   |
        | ignores | 3    | the device's manufacturer code, another image type, a newer file version      | no Image Notify   |

  Rule: SECMP7-NTFY-002 Payload type 3 is answered for any version but the one the device already has
    A broadcast notify of payload type 3 naming the version the device runs is discarded: the
    upgrade is done. Any other version is answered, a lower one too (the server may ask for a
    downgrade; whether the device then takes it is SECMP7-AUTH-005), and so is the wildcard
    0xFFFFFFFF.

    @SECMP7-NTFY-002 @side-device
    Scenario Outline: The device <outcome> a broadcast Image Notify of payload type 3 naming <version> file version
      When the hub broadcasts 1 Image Notify of payload type 3 with query jitter 100 naming "the device's manufacturer code, the device's image type, <version> file version"
      Then the device answers <share>

      Examples:
        | outcome | version      | share             |
        | ignores | the running  | no Image Notify   |
        | answers | an older     | each Image Notify |
        | answers | the wildcard | each Image Notify |

  Rule: SECMP7-NTFY-003 A broadcast Image Notify is answered in proportion to its query jitter
    The device draws a number from 1 to 100 and answers only if it is at most the QueryJitter.
    Over 200 notifies the count answered must lie where a device drawing fairly lands but with a
    chance below 2e-9; a device that ignores the jitter (answers all) or never answers does not.

    @SECMP7-NTFY-003 @side-device
    Scenario Outline: The device answers about <jitter> in 100 broadcast Image Notify with query jitter <jitter>
      When the hub broadcasts 200 Image Notify of payload type 0 with query jitter <jitter> naming "nothing"
      Then the device answers a share of the Image Notify consistent with the query jitter

      Examples:
        | jitter |
        | 20     |
        | 50     |
        | 80     |

  Rule: SECMP7-NTFY-004 A unicast Image Notify is always answered
    A notify sent to the device alone is how the server makes it query now: the query jitter does
    not apply. Revision 19 of 095264 answered a unicast notify whose jitter is not 100 with a
    Default Response MALFORMED_COMMAND instead; either answer counts.

    @SECMP7-NTFY-004 @side-device
    Scenario Outline: The device answers each of 50 unicast Image Notify with query jitter <jitter>
      When the hub unicasts 50 Image Notify of payload type 0 with query jitter <jitter> naming "nothing"
      Then the device answers each Image Notify

      Examples:
        | jitter |
        | 100    |
        | 10     |

    @SECMP7-NTFY-004 @side-device
    Scenario Outline: The device answers a unicast Image Notify of payload type 3 naming <fields>
      Sent to the device alone, a notify naming the version it runs is how a server forces a
      re-install (revision 22); revision 19 answers a unicast notify of payload type 3 with
      MALFORMED_COMMAND, which counts as an answer too.
      When the hub unicasts 1 Image Notify of payload type 3 with query jitter 100 naming "<fields>"
      Then the device answers each Image Notify

      Examples:
        | fields                                                                            |
        | the device's manufacturer code, the device's image type, the running file version |
        | another manufacturer code, the device's image type, a newer file version          |

  Rule: SECMP7-NTFY-005 The device queries its server on its own at the interval it declares
    A device that does not wait for notifies (PICS periodic_query) declares how often it asks
    ([timing] query_interval_ms); the suite only watches, and tells the device nothing.

    @SECMP7-NTFY-005 @side-device @pics-periodic-query
    Scenario: The device sends a Query Next Image Request every declared query interval without a notify
      Then the device sends a Query Next Image Request in each of 3 declared query intervals without an Image Notify

  Rule: SECMP7-NTFY-006 The image's hardware version range includes its ends, and may be absent
    An image is for hardware versions from its minimum to its maximum, both included; one outside
    by a single version is not installed; an image without the range is for any hardware.

    @SECMP7-NTFY-006 @side-device
    Scenario Outline: The device installs an image when <range>
      Given a signed image "new" of "20 kB" with a newer file version
      And image "new" is altered so that "<range>"
      And the hub will set the upgrade time to "now"
      When the hub offers image "new" to the device
      And the download runs to its end
      And "1 hour" pass
      Then the device sends an Upgrade End Request with status "SUCCESS"
      And the device runs image "new"

      Examples:
        | range                                             |
        | the hardware version range starts at the device's |
        | the hardware version range ends at the device's   |
        | the image declares no hardware version range      |

    @SECMP7-NTFY-006 @side-device
    Scenario Outline: The device does not install an image when <range> by one version
      Given a signed image "new" of "20 kB" with a newer file version
      And image "new" is altered so that "<range>"
      And the hub will set the upgrade time to "now"
      When the hub offers image "new" to the device
      And the download runs to its end
      And "1 hour" pass
      Then the device runs image "original"

      Examples:
        | range                                                     |
        | the hardware version range is entirely above the device's |
        | the hardware version range is entirely below the device's |
