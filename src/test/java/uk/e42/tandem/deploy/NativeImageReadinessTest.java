package uk.e42.tandem.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.quarkus.runtime.annotations.RegisterForReflection;
import java.io.IOException;
import java.lang.annotation.Annotation;
import java.lang.reflect.AnnotatedElement;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Parameter;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import uk.e42.tandem.deploy.ClassScan.ScannedClass;

/**
 * Keeps the native build from rotting while no GraalVM runs here: every class that a native image
 * would need registered, and lacks, fails this test with what to add to
 * {@link NativeImageRegistrations}.
 */
class NativeImageReadinessTest {
    private static final ClassScan SCAN = ClassScan.ofApplication();

    /** Calls that reach classes, members, resources or providers by name: invisible to static analysis. */
    private static final Set<String> REFLECTIVE_CALLS = Set.of(
            "java.lang.Class.forName", "java.lang.Class.newInstance",
            "java.lang.Class.getMethod", "java.lang.Class.getMethods",
            "java.lang.Class.getDeclaredMethod", "java.lang.Class.getDeclaredMethods",
            "java.lang.Class.getField", "java.lang.Class.getFields",
            "java.lang.Class.getDeclaredField", "java.lang.Class.getDeclaredFields",
            "java.lang.Class.getConstructor", "java.lang.Class.getConstructors",
            "java.lang.Class.getDeclaredConstructor", "java.lang.Class.getDeclaredConstructors",
            "java.lang.Class.getRecordComponents",
            "java.lang.Class.getResource", "java.lang.Class.getResourceAsStream",
            "java.lang.ClassLoader.loadClass", "java.lang.ClassLoader.getResource",
            "java.lang.ClassLoader.getResources", "java.lang.ClassLoader.getResourceAsStream",
            "java.lang.ClassLoader.getSystemResource", "java.lang.ClassLoader.getSystemResourceAsStream",
            "java.lang.reflect.Proxy.newProxyInstance",
            "java.lang.invoke.MethodHandles$Lookup.findVirtual", "java.lang.invoke.MethodHandles$Lookup.findStatic",
            "java.lang.invoke.MethodHandles$Lookup.findConstructor", "java.lang.invoke.MethodHandles$Lookup.findSpecial",
            "java.lang.invoke.MethodHandles$Lookup.findGetter", "java.lang.invoke.MethodHandles$Lookup.findSetter",
            "java.lang.invoke.MethodHandles$Lookup.findStaticGetter",
            "java.lang.invoke.MethodHandles$Lookup.findStaticSetter",
            "java.lang.invoke.MethodHandles$Lookup.findVarHandle", "java.lang.invoke.MethodHandles$Lookup.findClass",
            // A JCA provider such as BouncyCastle's instantiates its algorithm classes by name.
            "java.security.Security.addProvider", "java.security.Security.insertProviderAt");

    /** Types whose use means the same as the calls above. */
    private static final Set<String> REFLECTIVE_TYPES = Set.of(
            "org.bouncycastle.jce.provider.BouncyCastleProvider",
            "org.bouncycastle.jsse.provider.BouncyCastleJsseProvider",
            "org.bouncycastle.pqc.jcajce.provider.BouncyCastlePQCProvider");

    /**
     * Classes that use reflection, reviewed: each with the classes NativeImageRegistrations must
     * register for it. A class that starts using reflection fails the test until it is listed here.
     */
    private static final Map<String, List<String>> REVIEWED_REFLECTION = Map.of(
            "uk.e42.tandem.tunnel.ChannelBinding", List.of("javax.net.ssl.ExtendedSSLSession"));

    /** Static fields of these types would be frozen into the image: one seed or key for every node. */
    private static final List<String> SECRET_TYPES = List.of(
            "java.util.Random", "java.security.Key", "java.security.KeyPair", "java.security.KeyStore",
            "javax.net.ssl.SSLContext", "javax.net.ssl.KeyManager", "io.netty.handler.ssl.SslContext",
            "org.bouncycastle.crypto.params.AsymmetricKeyParameter", "org.bouncycastle.crypto.params.KeyParameter",
            "org.bouncycastle.crypto.AsymmetricCipherKeyPair", "org.bouncycastle.crypto.prng.RandomGenerator");

    /** Set in the native profile: BouncyCastle classes that seed themselves in static initialisers. */
    private static final List<String> RUNTIME_INITIALIZED = List.of(
            "org.bouncycastle.jcajce.provider.drbg.DRBG$Default",
            "org.bouncycastle.jcajce.provider.drbg.DRBG$NonceAndIV");

    @Test
    void everyClassThatPicocliReflectsOnIsRegistered() {
        Set<String> needed = new TreeSet<>();
        for (ScannedClass scanned : SCAN.classes()) {
            needed.addAll(picocliNeeds(scanned.load()));
        }
        assertTrue(needed.contains("uk.e42.tandem.cli.TandemCommand"), "the scan must find the tandem command: " + needed);
        Set<String> missing = new TreeSet<>(needed);
        missing.removeAll(registered());
        assertEquals(Set.of(), missing, "picocli reaches these by reflection; a native `tandem` would lose them. "
                + "Add them to @RegisterForReflection on " + NativeImageRegistrations.class.getName()
                + " (targets, or classNames for classes it cannot see)");
    }

    @Test
    void everyClassUsingReflectionIsReviewedAndItsTargetsRegistered() {
        Map<String, Set<String>> users = new TreeMap<>();
        for (ScannedClass scanned : SCAN.classes()) {
            Set<String> uses = new TreeSet<>();
            scanned.invocations().stream().filter(REFLECTIVE_CALLS::contains).forEach(uses::add);
            scanned.types().stream().filter(REFLECTIVE_TYPES::contains).forEach(uses::add);
            if (!uses.isEmpty()) {
                users.put(outermost(scanned.name()), uses);
            }
        }
        Map<String, Set<String>> unreviewed = new TreeMap<>(users);
        unreviewed.keySet().removeAll(REVIEWED_REFLECTION.keySet());
        assertEquals(Map.of(), unreviewed, "these classes find classes, members, resources or providers by name, "
                + "which a native image keeps only when registered: register what they reach in "
                + NativeImageRegistrations.class.getName() + " (resources: quarkus.native.resources.includes) "
                + "and list them in REVIEWED_REFLECTION with those registrations");
        Set<String> registered = registered();
        REVIEWED_REFLECTION.forEach((user, targets) -> {
            if (SCAN.classes().stream().anyMatch(c -> outermost(c.name()).equals(user))) {
                assertTrue(users.containsKey(user), user + " no longer uses reflection: drop it from REVIEWED_REFLECTION");
                for (String target : targets) {
                    assertTrue(registered.contains(target), user + " needs " + target + " registered for reflection");
                }
            }
        });
    }

    @Test
    void registeredClassNamesExist() {
        for (String name : registered()) {
            assertTrue(loadable(name), "NativeImageRegistrations names " + name + ", which is not on the classpath");
        }
    }

    @Test
    void protobufMessagesAreOfTheKindQuarkusGrpcRegisters() {
        List<String> messages = new ArrayList<>();
        for (ScannedClass scanned : SCAN.classes()) {
            Class<?> type = scanned.load();
            if (com.google.protobuf.MessageLite.class.isAssignableFrom(type) && !type.isInterface()) {
                // quarkus-grpc registers subclasses of GeneratedMessage(V3) and their builders; lite
                // messages (protoc --java_out=lite) it does not.
                assertFalse(com.google.protobuf.GeneratedMessageLite.class.isAssignableFrom(type),
                        type.getName() + " is a protobuf lite message, which quarkus-grpc does not register "
                                + "for reflection: generate full messages, or register it");
                messages.add(type.getName());
            }
        }
        assertTrue(messages.stream().anyMatch(m -> m.startsWith("uk.e42.tandem.admin.v1.")),
                "the admin API's generated messages must be among the application's classes: " + messages);
    }

    @Test
    void noSecretOrRandomSitsInAStaticField() {
        List<String> found = new ArrayList<>();
        for (ScannedClass scanned : SCAN.classes()) {
            for (Field field : scanned.load().getDeclaredFields()) {
                if (Modifier.isStatic(field.getModifiers()) && isSecretType(field.getType())) {
                    found.add(scanned.name() + "." + field.getName() + " (" + field.getType().getName() + ")");
                }
            }
        }
        assertEquals(List.of(), found, "a native image runs static initialisers while it is built, so these "
                + "would hold the builder's seed or key on every node: create them per instance, at run time");
    }

    @Test
    void theNativeProfileInitialisesBouncyCastlesSeedsAtRunTime() throws IOException {
        String pom = Files.readString(Path.of("pom.xml"));
        Matcher profile = Pattern.compile("<profile>\\s*(?:<!--.*?-->\\s*)?<id>native</id>(.*?)</profile>", Pattern.DOTALL)
                .matcher(pom);
        assertTrue(profile.find(), "pom.xml needs the `native` profile");
        Matcher args = Pattern.compile("<quarkus.native.additional-build-args>(.*?)</quarkus.native.additional-build-args>")
                .matcher(profile.group(1));
        assertTrue(args.find(), "the native profile must set quarkus.native.additional-build-args");
        assertTrue(profile.group(1).contains("<quarkus.native.enabled>true</quarkus.native.enabled>"));
        for (String name : RUNTIME_INITIALIZED) {
            assertTrue(args.group(1).contains(name), "--initialize-at-run-time must name " + name);
            assertTrue(loadable(name), name + " no longer exists in BouncyCastle: update the native profile");
        }
    }

    /** The classes registered for reflection: NativeImageRegistrations' lists and self-registered classes. */
    private static Set<String> registered() {
        Set<String> names = new TreeSet<>();
        for (ScannedClass scanned : SCAN.classes()) {
            RegisterForReflection register = scanned.load().getAnnotation(RegisterForReflection.class);
            if (register != null) {
                Arrays.stream(register.targets()).map(Class::getName).forEach(names::add);
                names.addAll(Arrays.asList(register.classNames()));
                if (register.targets().length == 0 && register.classNames().length == 0) {
                    names.add(scanned.name());
                }
            }
        }
        return names;
    }

    /** What picocli reaches by reflection from this class: itself if annotated, and what it names. */
    static Set<String> picocliNeeds(Class<?> type) {
        Set<String> needs = new TreeSet<>();
        Command command = type.getAnnotation(Command.class);
        if (command != null || hasPicocliAnnotation(type)) {
            needs.add(type.getName());
        }
        if (command != null) {
            needs.addAll(commandNeeds(command));
        }
        for (Field field : type.getDeclaredFields()) {
            if (hasPicocliAnnotation(field)) {
                needs.addAll(valueNeeds(field.getGenericType(), field));
            }
        }
        for (Method method : type.getDeclaredMethods()) {
            Command sub = method.getAnnotation(Command.class);
            if (sub != null) {
                needs.addAll(commandNeeds(sub));
            }
            for (Parameter parameter : method.getParameters()) {
                if (hasPicocliAnnotation(parameter)) {
                    // picocli reads parameter names through Executable.getParameters by reflection.
                    needs.add("java.lang.reflect.Executable");
                    needs.add("java.lang.reflect.Parameter");
                    needs.addAll(valueNeeds(parameter.getParameterizedType(), parameter));
                }
            }
        }
        return needs;
    }

    private static Set<String> commandNeeds(Command command) {
        Set<String> needs = new TreeSet<>();
        if (command.mixinStandardHelpOptions()) {
            needs.add("picocli.CommandLine$AutoHelpMixin");
        }
        List<Class<?>> named = new ArrayList<>(Arrays.asList(command.subcommands()));
        named.add(command.versionProvider());
        named.add(command.defaultValueProvider());
        named.add(command.modelTransformer());
        named.add(command.preprocessor());
        for (Class<?> c : named) {
            if (!isPicocliDefault(c)) {
                needs.add(c.getName());
            }
        }
        return needs;
    }

    /** Converters and completion candidates are instantiated; some built-in converters call by name. */
    private static Set<String> valueNeeds(Type type, AnnotatedElement element) {
        Set<String> needs = new TreeSet<>();
        Option option = element.getAnnotation(Option.class);
        CommandLine.Parameters parameters = element.getAnnotation(CommandLine.Parameters.class);
        List<Class<?>> named = new ArrayList<>();
        if (option != null) {
            named.addAll(Arrays.asList(option.converter()));
            named.add(option.completionCandidates());
            named.add(option.parameterConsumer());
        }
        if (parameters != null) {
            named.addAll(Arrays.asList(parameters.converter()));
            named.add(parameters.completionCandidates());
            named.add(parameters.parameterConsumer());
        }
        named.stream().filter(c -> !isPicocliDefault(c)).map(Class::getName).forEach(needs::add);
        for (Class<?> value : valueTypes(type)) {
            if (value == Path.class) {
                needs.add("java.nio.file.Paths"); // picocli's Path converter calls Paths.get by name
            } else if (value.getName().startsWith("java.time.") || value.getName().startsWith("java.sql.")) {
                needs.add(value.getName()); // converted with their parse/valueOf, called by name
            }
        }
        return needs;
    }

    private static List<Class<?>> valueTypes(Type type) {
        if (type instanceof Class<?> c) {
            return List.of(c.isArray() ? c.getComponentType() : c);
        }
        if (type instanceof ParameterizedType p) {
            List<Class<?>> types = new ArrayList<>();
            for (Type argument : p.getActualTypeArguments()) {
                types.addAll(valueTypes(argument));
            }
            return types;
        }
        return List.of();
    }

    private static boolean hasPicocliAnnotation(AnnotatedElement element) {
        for (Annotation annotation : element.getAnnotations()) {
            if (annotation.annotationType().getName().startsWith("picocli.")) {
                return true;
            }
        }
        if (element instanceof Class<?> c) {
            return Arrays.stream(c.getDeclaredFields()).anyMatch(NativeImageReadinessTest::hasPicocliAnnotation)
                    || Arrays.stream(c.getDeclaredMethods()).anyMatch(m -> hasPicocliAnnotation(m)
                            || Arrays.stream(m.getParameters()).anyMatch(NativeImageReadinessTest::hasPicocliAnnotation));
        }
        return false;
    }

    /** picocli's "none" markers (NoVersionProvider, NoCompletionCandidates, ...) are never instantiated. */
    private static boolean isPicocliDefault(Class<?> c) {
        return c.getName().startsWith("picocli.CommandLine$No") || c == Object.class
                || c.getName().equals("picocli.CommandLine$NullParameterConsumer");
    }

    private static boolean isSecretType(Class<?> type) {
        Class<?> element = type.isArray() ? type.getComponentType() : type;
        for (String name : SECRET_TYPES) {
            try {
                if (Class.forName(name, false, NativeImageReadinessTest.class.getClassLoader()).isAssignableFrom(element)) {
                    return true;
                }
            } catch (ClassNotFoundException e) {
                // that library is not on the classpath, so no field can be of its type
            }
        }
        return false;
    }

    private static boolean loadable(String name) {
        try {
            Class.forName(name, false, NativeImageReadinessTest.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException e) {
            return false;
        }
    }

    private static String outermost(String name) {
        int nested = name.indexOf('$');
        return nested < 0 ? name : name.substring(0, nested);
    }
}
