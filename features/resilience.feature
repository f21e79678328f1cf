Feature: Resilience of the download: power loss, a hub restart, a silent hub, too little storage
  A device in a home loses its power, its hub restarts, its hub falls silent, and it may be
  offered more than it can store. Whatever happens, the ZigBee OTA client (ZigBee document
  095264) runs an image only once it has it whole, verified, and its upgrade time has come;
  otherwise it keeps running its firmware and remains upgradable.

  "Switched off and on" is the DUT bridge's POWER_CYCLE control (docs/dut-bridge.md): a device
  whose bridge does not offer it gets *not applicable* for those scenarios. What the device does
  with a download after a power loss (takes it up again, or starts again) is what its PICS
  declares (resume_after_power_cycle, SECMP7-RES-002); the time it may go on asking a silent hub is its PICS
  timing.retry_give_up_ms, and the storage it has is its PICS image_capacity_bytes. The suite
  reads these figures to judge the device; it never tells them to the device.

  Background:
    Given a premises whose electricity meter is supplied by "Supplier A" and whose gas meter is supplied by "Supplier B"
    And the device is paired with the hub and every meter at the premises
    And the device runs image "original"
    And a signed image "new" of "20 kB" with a newer file version

  Rule: SECMP7-RES-001 A power cycle mid-download never runs a partial image
    The device powers up on the firmware it ran. The hub, seeing it back on the network, notifies
    it again; the device takes the download up from an offset within the data it had received
    (0 if it starts again) and installs the image once it has it whole.

    @SECMP7-RES-001 @side-device
    Scenario Outline: The device is switched off and on after <done> of the image
      When the hub offers image "new" to the device
      And the download is interrupted by a power cycle of the device after "<done>" of the image have been downloaded
      Then the device runs image "original"
      And the device reports ImageUpgradeStatus "normal"
      When the download runs to its end
      And "1 minute" pass
      Then the device takes the download up again
      And the device sends an Upgrade End Request with status "SUCCESS"
      And the device runs image "new"

      Examples:
        | done        |
        | 64 bytes    |
        | 10000 bytes |

  Rule: SECMP7-RES-002 A download kept over a power cycle resumes from FileOffset
    For a device that declares it keeps its download over a power loss (PICS
    resume_after_power_cycle, with resume).

    @SECMP7-RES-002 @side-device @pics-resume @pics-resume-after-power-cycle
    Scenario: The device resumes after a power cycle at 10000 bytes of the image
      When the hub offers image "new" to the device
      And the download is interrupted by a power cycle of the device after "10000 bytes" of the image have been downloaded
      And the download runs to its end
      And "1 minute" pass
      Then the device resumes at the file offset it had reached
      And the device runs image "new"

  Rule: SECMP7-RES-003 A power cycle during the count-down does not run the image before its time
    The image is whole and verified and the upgrade time has not come: after the power cycle
    the device still runs its firmware, and runs the new image only after an upgrade time
    the hub gives it (here one hour after the hub offers the image again).

    @SECMP7-RES-003 @side-device
    Scenario: The device is switched off and on while it counts down to the upgrade time
      Given the hub will set the upgrade time to "1 hour later"
      When the hub offers image "new" to the device
      And the download runs to its end
      Then the device reports ImageUpgradeStatus "count down"
      When the device is switched off and on
      Then the device runs image "original"
      When the hub offers image "new" to the device
      And the download runs to its end
      And "30 minutes" pass
      Then the device runs image "original"
      When "1 hour" pass
      Then the device sends an Upgrade End Request with status "SUCCESS"
      And the device runs image "new"

    @SECMP7-RES-003 @side-device
    Scenario: The device is switched off and on while it waits for the hub's activation command
      Given the hub will set the upgrade time to "wait for a further command"
      When the hub offers image "new" to the device
      And the download runs to its end
      Then the device reports ImageUpgradeStatus "waiting to upgrade"
      When the device is switched off and on
      Then the device runs image "original"
      When the hub offers image "new" to the device
      And the download runs to its end
      And "10 minutes" pass
      Then the device runs image "original"
      When the hub sends a further Upgrade End Response with upgrade time "now"
      And "1 minute" pass
      Then the device runs image "new"

  Rule: SECMP7-RES-004 After the hub restarts mid-download the device recovers by querying again
    The hub comes back without the download's state: it answers the device's Image Block
    Requests with ABORT and announces the image again with Image Notify. The device takes the
    download up again: it sends a Query Next Image Request once the hub is back.

    @SECMP7-RES-004 @side-device
    Scenario Outline: The hub restarts after 10000 bytes of the image and is away for <outage>
      When the hub offers image "new" to the device
      And the download is interrupted by a restart of the hub lasting "<outage>" after "10000 bytes" of the image have been downloaded
      And the download runs to its end
      And "1 minute" pass
      Then the device takes the download up again
      And the device sends an Upgrade End Request with status "SUCCESS"
      And the device runs image "new"

      Examples:
        | outage     |
        | 10 seconds |
        | 10 minutes |

  Rule: SECMP7-RES-005 The device gives up a silent hub within the time it declares, and keeps its firmware
    @SECMP7-RES-005 @side-device
    Scenario: The hub stops answering after 10000 bytes of the image
      When the hub offers image "new" to the device
      And the download is interrupted by the hub falling silent after "10000 bytes" of the image have been downloaded
      And "1 hour" pass
      Then the device stops asking for image "new" within the time its PICS declares
      And the device reports ImageUpgradeStatus "normal"
      And the device runs image "original"

  Rule: SECMP7-RES-006 An image larger than the device's storage is refused, and the device stays upgradable
    @SECMP7-RES-006 @side-device
    Scenario: The device refuses an image one byte over its declared capacity, then installs one that fits
      Given a signed image "big" of "the declared capacity + 1 byte" with a newer file version
      When the hub offers image "big" to the device
      And the download runs to its end
      And "1 minute" pass
      Then the device refuses image "big" on the offer or in its Upgrade End Request
      And the device reports ImageUpgradeStatus "normal"
      And the device runs image "original"
      When the hub offers image "new" to the device
      And the download runs to its end
      And "1 minute" pass
      Then the device runs image "new"

  Rule: SECMP7-RES-007 A newer image offered mid-download: one whole image at a time, never a mix
    The hub gets a newer image for the device while it downloads one: it offers and announces
    the newer one (Image Notify naming it), still serves the one being downloaded to a device that
    asks for it (its blocks; its Upgrade End Request answered "upgrade now"), and announces the
    newer one again after that. 095264 leaves open whether the device finishes its download first
    or turns to the newer image; either way each Image Block Request continues the image it names,
    and the device ends on the newer image.

    @SECMP7-RES-007 @side-device
    Scenario: The hub offers a newer image after 10000 bytes of the image
      Given a signed image "newer" of "20 kB" with a newer file version
      When the hub offers image "new" to the device
      And the download is interrupted by the hub offering image "newer" after "10000 bytes" of the image have been downloaded
      And the download runs to its end
      And "1 minute" pass
      Then every Image Block Request names an offered image and continues from the data received of it
      And the device sends an Upgrade End Request with status "SUCCESS"
      And the device runs image "newer"
