Feature: ImageUpgradeStatus and the OTA client attributes through an upgrade
  ZigBee document 095264 (OTA Upgrade cluster) gives the client attributes that tell its server
  where an upgrade stands: UpgradeServerID (0x0000), FileOffset (0x0001), CurrentFileVersion
  (0x0002), DownloadedFileVersion (0x0004) and ImageUpgradeStatus (0x0006: 0 normal, 1 download
  in progress, 2 download complete, 3 waiting to upgrade, 4 count down); and the Upgrade End
  Response that sets the upgrade time (domain.md section 3). The hub reads the attributes with
  ZCL Read Attributes at each stage and judges them against what it did itself: its own EUI-64,
  the image it offered, the bytes it delivered before the read. An optional attribute the device
  answers UNSUPPORTED_ATTRIBUTE is not judged; a value it reports must be right.

  Background:
    Given a premises whose electricity meter is supplied by "Supplier A" and whose gas meter is supplied by "Supplier B"
    And the device is paired with the hub and every meter at the premises
    And the device runs image "original"
    And a signed image "new" of "4 kB" with a newer file version

  Rule: SECMP7-STAT-001 ImageUpgradeStatus follows the upgrade through its stages
    095264, attribute ImageUpgradeStatus: normal, download in progress, download complete,
    waiting to upgrade or count down, and normal again once the new image runs.

    @SECMP7-STAT-001 @SECMP7-STAT-002 @side-device
    Scenario: The device reports every stage of an upgrade that counts down to its upgrade time
      The minimum block period slows the download, so that the hub can read the attributes
      while the device is half way through it.
      Given the hub sets the minimum block period to "1 second"
      And the hub will set the upgrade time to "10 minutes later"
      And the hub answers the Upgrade End Request only when the scenario says
      Then the device reports ImageUpgradeStatus "normal"
      When the hub offers image "new" to the device
      And the device has downloaded "2 kB" of the image
      Then the device reports ImageUpgradeStatus "download in progress" with the attributes of the download of image "new"
      When the device has sent its Upgrade End Request
      Then the device reports ImageUpgradeStatus "download complete" with the attributes of the download of image "new"
      When the hub answers the Upgrade End Request
      Then the device reports ImageUpgradeStatus "count down" with the attributes of the download of image "new"
      When "11 minutes" pass
      Then the device runs image "new"
      And the device reports ImageUpgradeStatus "normal"

  Rule: SECMP7-STAT-002 The OTA client attributes report the download the hub served
    095264, client attributes: UpgradeServerID names the server the image comes from, FileOffset
    the place reached in the file, DownloadedFileVersion the image being downloaded,
    CurrentFileVersion the running one.

    @SECMP7-STAT-002 @SECMP7-STAT-001 @side-device
    Scenario: The device reports every stage of an upgrade that waits for the hub's command
      Given the hub sets the minimum block period to "1 second"
      And the hub will set the upgrade time to "wait for a further command"
      And the hub answers the Upgrade End Request only when the scenario says
      When the hub offers image "new" to the device
      And the device has downloaded "1 kB" of the image
      Then the device reports ImageUpgradeStatus "download in progress" with the attributes of the download of image "new"
      When the device has sent its Upgrade End Request
      Then the device reports ImageUpgradeStatus "download complete" with the attributes of the download of image "new"
      When the hub answers the Upgrade End Request
      And "2 hours" pass
      Then the device reports ImageUpgradeStatus "waiting to upgrade" with the attributes of the download of image "new"
      When the hub sends a further Upgrade End Response with upgrade time "now"
      And "1 minute" pass
      Then the device runs image "new"
      And the device reports ImageUpgradeStatus "normal"

  Rule: SECMP7-STAT-005 Told to wait, the device asks again
    095264, Upgrade End Response with upgrade time 0xFFFFFFFF: the client waits for a further
    command and should meanwhile ask the server again with its Upgrade End Request, at least
    hourly, in case the server has lost its state.

    @SECMP7-STAT-005 @side-device
    Scenario: The device asks again every hour while it waits for the hub's command
      Given the hub will set the upgrade time to "wait for a further command"
      When the hub offers image "new" to the device
      And the download runs to its end
      And "4 hours" pass
      Then while it waits, the device asks again for image "new" at least every "60 minutes"
      And the device runs image "original"
      And the device reports ImageUpgradeStatus "waiting to upgrade"

  Rule: SECMP7-STAT-003 An upgrade time already past means upgrade now
    095264, Upgrade End Response: the client upgrades when the upgrade time comes, reckoned from
    the current time the server gives; a time already past has come.

    @SECMP7-STAT-003 @side-device
    Scenario Outline: The device upgrades at once when the upgrade time is <when>
      Given the hub will set the upgrade time to "<when>"
      When the hub offers image "new" to the device
      And the download runs to its end
      And "1 minute" pass
      Then the device runs image "new"
      And the device reports ImageUpgradeStatus "normal"

      Examples:
        | when             |
        | 1 second earlier |
        | 30 days earlier  |

  Rule: SECMP7-STAT-004 Wildcards in the Upgrade End Response name the downloaded image
    095264, Upgrade End Response: manufacturer code 0xFFFF, image type 0xFFFF and file version
    0xFFFFFFFF are wildcards, so that one response can be sent to clients of several kinds.

    @SECMP7-STAT-004 @side-device
    Scenario Outline: The device takes an Upgrade End Response with a wildcard <fields>
      Given the hub will set the upgrade time to "now"
      And the hub names the image with wildcards for its <fields> in the Upgrade End Response
      When the hub offers image "new" to the device
      And the download runs to its end
      And "1 minute" pass
      Then the device runs image "new"

      Examples:
        | fields                                         |
        | manufacturer code                              |
        | image type                                     |
        | file version                                   |
        | manufacturer code, image type and file version |
