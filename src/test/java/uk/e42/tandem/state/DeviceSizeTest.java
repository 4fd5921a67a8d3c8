package uk.e42.tandem.state;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** DRBD's drbd_new_dev_size and the refusals of drbd_adm_resize, one case per rule. */
class DeviceSizeTest {
    private static DeviceSize.Decision decide(long mine, long peer, long current, long user, boolean connected,
            boolean assumePeerHasSpace) {
        return DeviceSize.decide(new DeviceSize.Request(mine, peer, current, user, connected, assumePeerHasSpace));
    }

    @Test
    void connectedTheSmallerBackingDeviceWins() {
        DeviceSize.Decision d = decide(3000, 2000, 1000, 0, true, false);
        assertEquals(2000, d.sectors());
        assertTrue(d.grows(1000));
        assertEquals(3000, decide(3000, 4000, 1000, 0, true, false).sectors());
    }

    @Test
    void thePeerWithLessSpaceIsRefusedInDrbdsWords() {
        DeviceSize.Decision d = decide(3000, 1000, 1000, 0, true, false);
        DeviceSize.Refusal r = d.refusal().orElseThrow();
        assertEquals(111, r.code());
        assertTrue(r.message().startsWith("Failure: (111) Low.dev. smaller than requested DRBD-dev. size.\n"));
        assertTrue(r.detail().contains("The peer's disk size is too small! (1000 < 3000 sectors)"), r.detail());
    }

    @Test
    void nothingChangedIsNoRefusal() {
        DeviceSize.Decision d = decide(1000, 1000, 1000, 0, true, false);
        assertEquals(Optional.empty(), d.refusal());
        assertEquals(1000, d.sectors());
    }

    @Test
    void notConnectedTheLastAgreedSizeHoldsUnlessThePeerIsAssumedToHaveSpace() {
        DeviceSize.Decision held = decide(3000, 0, 1000, 0, false, false);
        assertTrue(held.refusal().orElseThrow().detail().contains("--assume-peer-has-space"));
        DeviceSize.Decision forced = decide(3000, 0, 1000, 0, false, true);
        assertEquals(3000, forced.sectors());
        assertEquals(Optional.empty(), forced.refusal());
        assertEquals(List.of("Resize while not connected was forced by the user!"), forced.log());
    }

    @Test
    void assumePeerHasSpaceCountsOnlyWithoutAConnection() {
        assertEquals(111, decide(3000, 1000, 1000, 0, true, true).refusal().orElseThrow().code());
    }

    @Test
    void withoutAnyKnownSizeBothAreDiskless() {
        DeviceSize.Decision d = decide(0, 0, 0, 0, false, false);
        assertEquals(138, d.refusal().orElseThrow().code());
        assertEquals(List.of("Both nodes diskless!"), d.log());
    }

    @Test
    void aUserSizeWithinTheBackingDevicesIsTaken() {
        assertEquals(2500, decide(3000, 4000, 1000, 2500, true, false).sectors());
    }

    @Test
    void aUserSizeBeyondTheBackingDevicesIsRefused() {
        DeviceSize.Decision d = decide(3000, 2000, 1000, 2500, true, false);
        assertEquals(111, d.refusal().orElseThrow().code());
        assertEquals(List.of("Requested disk size is too big (1250 > 1000)"), d.log());
    }

    @Test
    void shrinkingNeedsAnExplicitSize() {
        DeviceSize.Decision implicit = decide(800, 900, 1000, 0, true, false);
        DeviceSize.Refusal r = implicit.refusal().orElseThrow();
        assertEquals(170, r.code());
        assertEquals("Implicit device shrinking not allowed. See kernel log.", r.text());
        assertTrue(r.detail().contains("Use --size=800s for explicit shrink."), r.detail());
        DeviceSize.Decision explicit = decide(3000, 3000, 1000, 600, true, false);
        assertEquals(600, explicit.sectors());
        assertEquals(Optional.empty(), explicit.refusal());
    }

    private static ResourceState state(DiskState disk, ConnectionState conn, Role role, Role peer) {
        return ResourceState.INITIAL.withDisk(disk).withConn(conn).withRole(role).withPeer(peer);
    }

    @Test
    void aDiskIsNeeded() {
        DeviceSize.Refusal r = DeviceSize.stateRefusal(state(DiskState.DISKLESS, ConnectionState.STAND_ALONE,
                Role.SECONDARY, Role.UNKNOWN)).orElseThrow();
        assertEquals("Failure: (138) Device does not have a disk-config", r.message().lines().findFirst().orElseThrow());
    }

    @Test
    void notDuringResyncOrVerify() {
        for (ConnectionState c : List.of(ConnectionState.SYNC_SOURCE, ConnectionState.SYNC_TARGET,
                ConnectionState.PAUSED_SYNC_S, ConnectionState.WF_BIT_MAP_T, ConnectionState.VERIFY_S)) {
            assertEquals(130, DeviceSize.stateRefusal(state(DiskState.UP_TO_DATE, c, Role.PRIMARY, Role.SECONDARY))
                    .orElseThrow().code(), c.drbdName());
        }
        assertEquals(Optional.empty(), DeviceSize.stateRefusal(state(DiskState.UP_TO_DATE, ConnectionState.CONNECTED,
                Role.PRIMARY, Role.SECONDARY)));
    }

    @Test
    void connectedOneNodeMustBePrimary() {
        assertEquals(131, DeviceSize.stateRefusal(state(DiskState.UP_TO_DATE, ConnectionState.CONNECTED,
                Role.SECONDARY, Role.SECONDARY)).orElseThrow().code());
        assertEquals(Optional.empty(), DeviceSize.stateRefusal(state(DiskState.UP_TO_DATE,
                ConnectionState.STAND_ALONE, Role.SECONDARY, Role.UNKNOWN)));
    }

    @Test
    void atConnectBothGrownDisksGrowTheDeviceToTheSmallerOne() {
        DeviceSize.Decision d = DeviceSize.atConnect(3000, 2500, 1000, 0, true);
        assertEquals(2500, d.sectors());
        assertTrue(d.grows(1000));
        assertEquals(List.of(), d.log());
        assertEquals(1000, DeviceSize.atConnect(3000, 1000, 1000, 0, true).sectors(), "only one disk grew");
        assertEquals(1000, DeviceSize.atConnect(1000, 1000, 1000, 0, true).sectors());
    }

    @Test
    void atConnectTheUserSizeCapsTheGrowthAndATooBigOneIsLogged() {
        assertEquals(1500, DeviceSize.atConnect(3000, 2500, 1000, 1500, true).sectors());
        DeviceSize.Decision tooBig = DeviceSize.atConnect(3000, 2500, 1000, 4000, true);
        assertEquals(2500, tooBig.sectors());
        assertEquals(List.of("Requested disk size is too big (2000 > 1250)"), tooBig.log());
        assertEquals(1500, DeviceSize.userSizeAtConnect(0, 1500));
        assertEquals(1500, DeviceSize.userSizeAtConnect(1500, 0));
        assertEquals(1200, DeviceSize.userSizeAtConnect(1500, 1200));
        assertEquals(0, DeviceSize.userSizeAtConnect(0, 0));
    }

    @Test
    void atConnectDataThatCountsNeverShrinksButAnInconsistentDeviceDoes() {
        DeviceSize.Decision refused = DeviceSize.atConnect(3000, 2000, 3000, 0, true);
        assertEquals("The peer's disk size is too small!", refused.refusal().orElseThrow().text());
        assertEquals(List.of("The peer's disk size is too small!"), refused.log());
        assertEquals(2000, DeviceSize.atConnect(3000, 2000, 3000, 0, false).sectors());
        assertTrue(DeviceSize.atConnect(3000, 3000, 3000, 2000, true).refusal().isPresent(),
                "a smaller user size of the peer shrinks too");
    }
}
