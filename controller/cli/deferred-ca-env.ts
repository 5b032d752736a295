// The bins' first import: puts back NODE_EXTRA_CA_CERTS, which their shebang moves aside so that
// Node does not parse the certificates at start (see shared/extra-ca-certs.ts). Being the first
// import, it runs before any module reads the environment.
import { restoreDeferredExtraCaCerts } from '../../shared/extra-ca-certs.js';

restoreDeferredExtraCaCerts();
