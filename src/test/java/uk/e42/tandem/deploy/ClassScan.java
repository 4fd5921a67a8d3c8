package uk.e42.tandem.deploy;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.Handle;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;

/**
 * The application's own compiled classes (target/classes), read as bytecode: what each one calls
 * and which types it refers to, which is where reflection and provider look-ups show.
 */
record ClassScan(Path root, List<ScannedClass> classes) {

    /** One class: its binary name, the methods it invokes ("owner.name") and the types it names. */
    record ScannedClass(String name, String superName, Set<String> invocations, Set<String> types) {
        Class<?> load() {
            try {
                return Class.forName(name, false, ClassScan.class.getClassLoader());
            } catch (ClassNotFoundException e) {
                throw new IllegalStateException(name + " is in target/classes but cannot be loaded", e);
            }
        }
    }

    static ClassScan ofApplication() {
        try {
            Path root = Path.of(uk.e42.tandem.TandemMain.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            List<ScannedClass> classes = new ArrayList<>();
            try (Stream<Path> files = Files.walk(root)) {
                for (Path file : files.filter(f -> f.toString().endsWith(".class")).sorted().toList()) {
                    try (InputStream in = Files.newInputStream(file)) {
                        classes.add(read(new ClassReader(in)));
                    }
                }
            }
            return new ClassScan(root, List.copyOf(classes));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static ScannedClass read(ClassReader reader) {
        Set<String> invocations = new TreeSet<>();
        Set<String> types = new TreeSet<>();
        String[] superName = new String[1];
        reader.accept(new ClassVisitor(Opcodes.ASM9) {
            @Override
            public void visit(int version, int access, String name, String signature, String superClass,
                    String[] interfaces) {
                superName[0] = superClass == null ? null : superClass.replace('/', '.');
            }

            @Override
            public MethodVisitor visitMethod(int access, String name, String descriptor, String signature,
                    String[] exceptions) {
                return new MethodVisitor(Opcodes.ASM9) {
                    @Override
                    public void visitMethodInsn(int opcode, String owner, String method, String desc, boolean itf) {
                        invocations.add(owner.replace('/', '.') + "." + method);
                        types.add(owner.replace('/', '.'));
                    }

                    @Override
                    public void visitTypeInsn(int opcode, String type) {
                        types.add(type.replace('/', '.'));
                    }

                    @Override
                    public void visitLdcInsn(Object value) {
                        if (value instanceof org.objectweb.asm.Type type && type.getSort() == org.objectweb.asm.Type.OBJECT) {
                            types.add(type.getClassName());
                        }
                    }

                    @Override
                    public void visitInvokeDynamicInsn(String method, String desc, Handle bootstrap, Object... args) {
                        for (Object arg : args) {
                            if (arg instanceof Handle handle) {
                                invocations.add(handle.getOwner().replace('/', '.') + "." + handle.getName());
                            }
                        }
                    }
                };
            }
        }, ClassReader.SKIP_DEBUG | ClassReader.SKIP_FRAMES);
        return new ScannedClass(reader.getClassName().replace('/', '.'), superName[0], invocations, types);
    }
}
