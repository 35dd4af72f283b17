<?php
// Read by Debian's /usr/share/wordpress/wp-config.php for every host name (no config-HOST.php here).
define('DB_NAME', getenv('WORDPRESS_DB_NAME') ?: 'wordpress');
define('DB_USER', getenv('WORDPRESS_DB_USER') ?: 'wordpress');
define('DB_PASSWORD', getenv('WORDPRESS_DB_PASSWORD') ?: 'wordpress');
define('DB_HOST', getenv('WORDPRESS_DB_HOST') ?: 'db');
define('WP_CONTENT_DIR', '/var/lib/wordpress/wp-content');
