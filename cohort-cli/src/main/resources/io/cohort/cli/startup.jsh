import static io.cohort.Workers.*;
import io.cohort.*;
import java.time.Duration;
System.out.println("cohort: launchWorkers(2, 0.2, 0.5, \"System.out.println(42)\"), listWorkers(), showWorkers(), awaitWorkers(), stopWorkers(). /exit ends the session and its workers.");
