package uk.e42.tandem.peer;

import java.util.Locale;

import uk.e42.tandem.peer.v1.ConnState;

/** DRBD's spelling of the wire enums, as its logs and tools print them. */
public final class DrbdNames {

    private DrbdNames() {
    }

    /** E.g. {@code WFConnection}, {@code StandAlone}, {@code WFBitMapS}. */
    public static String of(ConnState state) {
        StringBuilder text = new StringBuilder();
        for (String word : state.name().substring("CONN_".length()).split("_")) {
            text.append(word.charAt(0)).append(word.substring(1).toLowerCase(Locale.ROOT));
        }
        return text.toString().replace("Wf", "WF").replace("Bitmap", "BitMap");
    }
}
