package io.cohort.core.kernel;

import java.util.List;
import java.util.regex.Pattern;

/** What the reference's Python engine does to code before it runs it. */
final class PythonCode {
    private static final Pattern SHELL_OR_MAGIC = Pattern.compile("(?m)^[ \\t]*[!%]");

    /** Reports a syntax error as Python words it, with the line, not the checker's traceback. */
    private static final String REPORT = String.join("\n",
            "except SyntaxError as e:",
            "    where = 'line %s' % e.lineno if e.lineno else 'somewhere'",
            "    text = (e.text or '').rstrip()",
            "    sys.exit('%s: %s, %s%s' % (type(e).__name__, e.msg, where, (':\\n    ' + text.strip()) if text else ''))");

    /** Parses a Python file with Python's own parser. */
    static final String CHECK = String.join("\n",
            "import ast, sys",
            "try:",
            "    ast.parse(open(sys.argv[1], 'rb').read(), sys.argv[1])",
            REPORT);

    /**
     * Checks code with IPython's own input transformer, then Python's parser; with no IPython, says
     * how to get it.
     */
    static final String IPYTHON_CHECK = String.join("\n",
            "import ast, sys",
            "try:",
            "    from IPython.core.inputtransformer2 import TransformerManager",
            "except ImportError:",
            "    sys.exit('code with !shell lines or %magics runs in IPython, which ' + sys.executable + ' cannot import:"
                    + " install it (Debian: apt-get install python3-ipython; else pip install ipython), or set"
                    + " kernel.python3 to an interpreter that has it')",
            "source = open(sys.argv[1], encoding='utf-8').read()",
            "try:",
            "    ast.parse(TransformerManager().transform_cell(source), sys.argv[1])",
            REPORT);

    private PythonCode() {
    }

    /** Removes the whitespace every non-blank line starts with, as Python's textwrap.dedent does. */
    static String dedent(String code) {
        List<String> lines = code.lines().toList();
        String common = null;
        for (String line : lines) {
            if (line.isBlank()) {
                continue;
            }
            int i = 0;
            while (i < line.length() && (line.charAt(i) == ' ' || line.charAt(i) == '\t')) {
                i++;
            }
            String indent = line.substring(0, i);
            if (common == null) {
                common = indent;
            } else {
                int j = 0;
                while (j < common.length() && j < indent.length() && common.charAt(j) == indent.charAt(j)) {
                    j++;
                }
                common = common.substring(0, j);
            }
        }
        if (common == null || common.isEmpty()) {
            return code;
        }
        StringBuilder out = new StringBuilder();
        for (String line : lines) {
            out.append(line.isBlank() ? "" : line.substring(common.length())).append('\n');
        }
        return out.toString();
    }

    /** Whether any line is a shell escape (!cmd) or a magic (%magic, %%cell). */
    static boolean hasShellOrMagicLines(String code) {
        return SHELL_OR_MAGIC.matcher(code).find();
    }
}
