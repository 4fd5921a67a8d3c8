package uk.e42.tandem.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.util.JsonFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import uk.e42.tandem.admin.v1.PeerStatus;
import uk.e42.tandem.admin.v1.PeerVolumeStatus;
import uk.e42.tandem.admin.v1.ResourceStatus;
import uk.e42.tandem.admin.v1.VolumeStatus;

class StatusJsonTest {
    static final ResourceStatus R0 = ResourceStatus.newBuilder().setName("r0").setRole("Primary").setSuspended("no")
            .addVolumes(VolumeStatus.newBuilder().setDisk("UpToDate").setSizeBytes(1 << 20).setCstate("WFConnection"))
            .addPeers(PeerStatus.newBuilder().setName("peer").setConnection("Connecting").setRole("Unknown")
                    .setProtocol("C").addVolumes(PeerVolumeStatus.newBuilder().setReplication("Off")
                            .setPeerDisk("DUnknown").setOutOfSyncKib(4096)))
            .build();

    @Test
    void eachResourceParsesBackToTheSameMessage() throws Exception {
        ResourceStatus r1 = R0.toBuilder().setName("r1").build();
        JsonNode array = new ObjectMapper().readTree(StatusJson.render(List.of(R0, r1)));
        assertEquals(2, array.size());
        for (int i = 0; i < 2; i++) {
            ResourceStatus.Builder back = ResourceStatus.newBuilder();
            JsonFormat.parser().merge(array.get(i).toString(), back);
            assertEquals(i == 0 ? R0 : r1, back.build());
        }
    }

    @Test
    void zeroAndEmptyScalarsArePresentSoScriptsSeeStableKeys() throws Exception {
        JsonNode r0 = new ObjectMapper().readTree(StatusJson.render(List.of(R0))).get(0);
        JsonNode volume = r0.get("volumes").get(0);
        assertTrue(volume.has("minor"), volume.toString());
        assertEquals(0, volume.get("minor").asInt());
        JsonNode peerVolume = r0.get("peers").get(0).get("volumes").get(0);
        assertEquals("", peerVolume.get("resyncSuspended").asText());
        // uint64 is a string in protobuf's JSON mapping, so 64-bit counters survive JavaScript.
        assertEquals("4096", peerVolume.get("outOfSyncKib").textValue());
    }

    @Test
    void noResourcesIsAnEmptyArray() {
        assertEquals("[]\n", StatusJson.render(List.of()));
        assertTrue(StatusJson.render(List.of(R0)).startsWith("[\n  {\n    \"name\": \"r0\","));
    }
}
