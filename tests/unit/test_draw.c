/*
 * Unit tests for backend/draw.c: the QXL_DRAW_COPY built from a box of a
 * 32-bit image (drawable, image descriptor, bitmap and the private pixel
 * copy), the command and release round trip back to the draw, and rejection
 * of empty boxes. Run under valgrind to check copies stay inside the source
 * and every draw is freed.
 */
// draw.c is included rather than linked, to reach its image_id; first, so
// that its feature test macros come before any system header.
#include "../../backend/draw.c"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <pixman.h>
#include <spice.h>

#define IMG_WIDTH 100
#define IMG_HEIGHT 50

struct image {
	uint32_t *data;
	size_t stride; // bytes
};

/* A distinct value for every pixel, so a copy from the wrong place shows. */
static uint32_t pixel_value(int x, int y) {
	return 0xff000000u | (uint32_t)y << 12 | (uint32_t)x;
}

/*
 * Allocates exactly stride * height bytes so valgrind sees any read past the
 * image; pad_pixels extra pixels per row hold a marker that must never be
 * copied.
 */
static void image_create(struct image *img, int pad_pixels) {
	img->stride = (size_t)(IMG_WIDTH + pad_pixels) * 4;
	img->data = malloc(img->stride * IMG_HEIGHT);
	assert_non_null(img->data);
	for (int y = 0; y < IMG_HEIGHT; y++) {
		uint32_t *row = (uint32_t *)((uint8_t *)img->data + img->stride * y);
		for (int x = 0; x < IMG_WIDTH + pad_pixels; x++) {
			row[x] = x < IMG_WIDTH ? pixel_value(x, y) : 0xdeadbeefu;
		}
	}
}

/* Checks draw's pixels are box of img, row by row, tightly packed. */
static void assert_pixels_match(const struct spb_draw *draw, const struct image *img,
		const pixman_box32_t *box) {
	int width = box->x2 - box->x1;
	int height = box->y2 - box->y1;
	size_t row_bytes = (size_t)width * 4;
	assert_int_equal(draw->pixel_bytes, row_bytes * height);
	for (int y = 0; y < height; y++) {
		const uint8_t *src = (const uint8_t *)img->data + img->stride * (box->y1 + y) +
			(size_t)box->x1 * 4;
		assert_memory_equal(draw->pixels + row_bytes * y, src, row_bytes);
		uint32_t first, last;
		memcpy(&first, draw->pixels + row_bytes * y, 4);
		memcpy(&last, draw->pixels + row_bytes * y + row_bytes - 4, 4);
		assert_int_equal(first, pixel_value(box->x1, box->y1 + y));
		assert_int_equal(last, pixel_value(box->x2 - 1, box->y1 + y));
	}
}

/* Checks everything in draw that depends on the box's position and size. */
static void assert_geometry(const struct spb_draw *draw, const pixman_box32_t *box) {
	int width = box->x2 - box->x1;
	int height = box->y2 - box->y1;
	const QXLDrawable *d = &draw->drawable;
	assert_int_equal(d->bbox.left, box->x1);
	assert_int_equal(d->bbox.top, box->y1);
	assert_int_equal(d->bbox.right, box->x2);
	assert_int_equal(d->bbox.bottom, box->y2);
	assert_int_equal(d->u.copy.src_area.left, 0);
	assert_int_equal(d->u.copy.src_area.top, 0);
	assert_int_equal(d->u.copy.src_area.right, width);
	assert_int_equal(d->u.copy.src_area.bottom, height);
	const QXLImage *image = &draw->image;
	assert_int_equal(image->descriptor.width, width);
	assert_int_equal(image->descriptor.height, height);
	assert_int_equal(image->bitmap.x, width);
	assert_int_equal(image->bitmap.y, height);
	assert_int_equal(image->bitmap.stride, width * 4);
}

static void test_copy_create(void **state) {
	struct image img;
	image_create(&img, 7);
	const pixman_box32_t box = { .x1 = 10, .y1 = 5, .x2 = 30, .y2 = 25 };
	const uint32_t surface_id = 0;

	struct spb_draw *draw = spb_draw_copy_create_at(
			img.data, img.stride, &box, box.x1, box.y1, surface_id);
	assert_non_null(draw);

	const QXLDrawable *d = &draw->drawable;
	assert_int_equal(d->type, QXL_DRAW_COPY);
	assert_int_equal(d->effect, QXL_EFFECT_OPAQUE);
	assert_int_equal(d->surface_id, surface_id);
	assert_int_equal(d->self_bitmap, 0);
	assert_int_equal(d->bbox.left, 10);
	assert_int_equal(d->bbox.top, 5);
	assert_int_equal(d->bbox.right, 30);
	assert_int_equal(d->bbox.bottom, 25);
	assert_int_equal(d->clip.type, SPICE_CLIP_TYPE_NONE);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(d->surfaces_dest[i], -1);
	}
	assert_int_equal(d->u.copy.src_bitmap, (QXLPHYSICAL)(uintptr_t)&draw->image);
	assert_int_equal(d->u.copy.src_area.left, 0);
	assert_int_equal(d->u.copy.src_area.top, 0);
	assert_int_equal(d->u.copy.src_area.right, 20);
	assert_int_equal(d->u.copy.src_area.bottom, 20);
	assert_int_equal(d->u.copy.rop_descriptor, SPICE_ROPD_OP_PUT);
	assert_int_equal(d->u.copy.scale_mode, 0);
	assert_int_equal(d->u.copy.mask.bitmap, 0);
	assert_int_equal(d->release_info.id, (uint64_t)(uintptr_t)draw);

	const QXLImage *image = &draw->image;
	assert_int_equal(image->descriptor.type, SPICE_IMAGE_TYPE_BITMAP);
	assert_int_equal(image->descriptor.width, 20);
	assert_int_equal(image->descriptor.height, 20);
	assert_int_equal(image->bitmap.format, SPICE_BITMAP_FMT_32BIT);
	assert_int_equal(image->bitmap.flags & (QXL_BITMAP_DIRECT | QXL_BITMAP_TOP_DOWN),
		QXL_BITMAP_DIRECT | QXL_BITMAP_TOP_DOWN);
	assert_int_equal(image->bitmap.x, 20);
	assert_int_equal(image->bitmap.y, 20);
	assert_int_equal(image->bitmap.stride, 20 * 4);
	assert_int_equal(image->bitmap.palette, 0);
	assert_int_equal(image->bitmap.data, (QXLPHYSICAL)(uintptr_t)draw->pixels);

	assert_pixels_match(draw, &img, &box);

	// The copy is private: changing the source afterwards does not reach it.
	uint32_t before;
	memcpy(&before, draw->pixels, 4);
	img.data[5 * (img.stride / 4) + 10] = 0x12345678u;
	uint32_t after;
	memcpy(&after, draw->pixels, 4);
	assert_int_equal(before, after);
	assert_int_equal(after, pixel_value(10, 5));

	spb_draw_destroy(draw);
	free(img.data);
}

static void test_surface_id_passed_through(void **state) {
	struct image img;
	image_create(&img, 0);
	const pixman_box32_t box = { .x1 = 0, .y1 = 0, .x2 = 4, .y2 = 4 };
	struct spb_draw *draw =
			spb_draw_copy_create_at(img.data, img.stride, &box, box.x1, box.y1, 7);
	assert_non_null(draw);
	assert_int_equal(draw->drawable.surface_id, 7);
	spb_draw_destroy(draw);
	free(img.data);
}

static void test_edge_boxes(void **state) {
	// A tight stride: any read past the last pixel is a valgrind error.
	struct image img;
	image_create(&img, 0);
	const pixman_box32_t boxes[] = {
		{ 0, 0, IMG_WIDTH, IMG_HEIGHT }, // whole image
		{ IMG_WIDTH - 1, IMG_HEIGHT - 1, IMG_WIDTH, IMG_HEIGHT }, // last pixel
		{ 0, 0, 1, 1 }, // first pixel
		{ 0, IMG_HEIGHT - 1, IMG_WIDTH, IMG_HEIGHT }, // last row
		{ IMG_WIDTH - 1, 0, IMG_WIDTH, IMG_HEIGHT }, // last column
		{ 37, 11, 90, 14 }, // wide and short, inside
	};
	for (size_t i = 0; i < sizeof(boxes) / sizeof(boxes[0]); i++) {
		struct spb_draw *draw = spb_draw_copy_create_at(
				img.data, img.stride, &boxes[i], boxes[i].x1, boxes[i].y1, 0);
		assert_non_null(draw);
		assert_geometry(draw, &boxes[i]);
		assert_pixels_match(draw, &img, &boxes[i]);
		spb_draw_destroy(draw);
	}
	free(img.data);
}

static void test_command_release_round_trip(void **state) {
	struct image img;
	image_create(&img, 3);
	const pixman_box32_t box = { .x1 = 10, .y1 = 5, .x2 = 30, .y2 = 25 };
	struct spb_draw *draw =
			spb_draw_copy_create_at(img.data, img.stride, &box, box.x1, box.y1, 0);
	assert_non_null(draw);

	QXLCommandExt cmd;
	memset(&cmd, 0xa5, sizeof(cmd));
	spb_draw_to_command(draw, &cmd);
	assert_int_equal(cmd.cmd.type, QXL_CMD_DRAW);
	assert_int_equal(cmd.cmd.data, (QXLPHYSICAL)(uintptr_t)&draw->drawable);
	assert_int_equal(cmd.group_id, 0);
	assert_int_equal(cmd.flags, 0);

	QXLReleaseInfoExt release = {
		.info = &draw->drawable.release_info,
		.group_id = 0,
	};
	assert_ptr_equal(spb_resource_from_release(release), &draw->resource);

	// What spice-server does: follow cmd.data to the drawable's release_info.
	QXLDrawable *from_cmd = (QXLDrawable *)(uintptr_t)cmd.cmd.data;
	release.info = &from_cmd->release_info;
	assert_ptr_equal(spb_resource_from_release(release), &draw->resource);

	release.info = NULL;
	assert_null(spb_resource_from_release(release));

	spb_draw_destroy(draw);
	free(img.data);
}

static void test_distinct_draws(void **state) {
	struct image img;
	image_create(&img, 0);
	enum { N = 16 };
	struct spb_draw *draws[N];
	for (int i = 0; i < N; i++) {
		const pixman_box32_t box = { .x1 = i, .y1 = i, .x2 = i + 1 + i * 3, .y2 = i + 2 };
		draws[i] = spb_draw_copy_create_at(img.data, img.stride, &box, box.x1, box.y1, 0);
		assert_non_null(draws[i]);
		assert_geometry(draws[i], &box);
		assert_pixels_match(draws[i], &img, &box);
	}
	for (int i = 0; i < N; i++) {
		QXLReleaseInfoExt release = { .info = &draws[i]->drawable.release_info };
		assert_ptr_equal(spb_resource_from_release(release), &draws[i]->resource);
		for (int j = 0; j < i; j++) {
			assert_ptr_not_equal(draws[i], draws[j]);
		}
	}
	for (int i = 0; i < N; i++) {
		spb_draw_destroy(draws[i]);
	}
	free(img.data);
}

static void test_empty_box_rejected(void **state) {
	struct image img;
	image_create(&img, 0);
	const pixman_box32_t boxes[] = {
		{ 10, 10, 10, 20 }, // zero width
		{ 10, 10, 20, 10 }, // zero height
		{ 10, 10, 10, 10 }, // zero both
		{ 20, 10, 10, 20 }, // negative width
		{ 10, 20, 20, 10 }, // negative height
		{ 20, 20, 10, 10 }, // negative both
	};
	for (size_t i = 0; i < sizeof(boxes) / sizeof(boxes[0]); i++) {
		assert_null(spb_draw_copy_create_at(
				img.data, img.stride, &boxes[i], boxes[i].x1, boxes[i].y1, 0));
	}
	free(img.data);
}

/*
 * The same pixels at two places of the image get the same id; one pixel
 * different, or the same bytes in another shape, a different one.
 */
static void test_cache_id(void **state) {
	struct image img;
	image_create(&img, 3);
	// Two 7x5 boxes (35 pixels: the hash's tail is used) with equal content.
	const pixman_box32_t a = { 10, 10, 17, 15 }, b = { 40, 30, 47, 35 };
	for (int y = 0; y < 5; y++) {
		for (int x = 0; x < 7; x++) {
			uint32_t v = 0xff000000u | (uint32_t)(x * 31 + y * 7);
			((uint32_t *)((uint8_t *)img.data + img.stride * (a.y1 + y)))[a.x1 + x] = v;
			((uint32_t *)((uint8_t *)img.data + img.stride * (b.y1 + y)))[b.x1 + x] = v;
		}
	}
	struct spb_draw *da =
			spb_draw_copy_create_at(img.data, img.stride, &a, a.x1, a.y1, 0);
	struct spb_draw *db =
			spb_draw_copy_create_at(img.data, img.stride, &b, b.x1, b.y1, 0);
	assert_non_null(da);
	assert_non_null(db);
	assert_true(spb_draw_cache_image(da));
	assert_true(spb_draw_cache_image(db));
	assert_true(da->image.descriptor.flags & QXL_IMAGE_CACHE);
	assert_int_not_equal(da->image.descriptor.id, 0);
	assert_int_equal(da->image.descriptor.id, db->image.descriptor.id);

	// Every single pixel, and every byte of it, counts, the last one too.
	for (int i = 0; i < 35 * 4; i++) {
		uint8_t *bytes = db->pixels;
		bytes[i] ^= 0x01;
		assert_int_not_equal(image_id(db->pixels, 7, 5), da->image.descriptor.id);
		bytes[i] ^= 0x01;
	}
	assert_int_equal(image_id(db->pixels, 7, 5), da->image.descriptor.id);
	// Same bytes, other shape.
	assert_int_not_equal(image_id(db->pixels, 5, 7), da->image.descriptor.id);
	assert_int_not_equal(image_id(db->pixels, 35, 1), da->image.descriptor.id);
	spb_draw_destroy(da);
	spb_draw_destroy(db);
	free(img.data);
}

/* Only small images are offered to the cache; fills never. */
static void test_cache_size_limit(void **state) {
	int side = 257; // 257 * 257 > SPB_CACHE_MAX_PIXELS
	size_t stride = (size_t)side * 4;
	uint32_t *data = calloc((size_t)side * side, 4);
	assert_non_null(data);
	const pixman_box32_t big = { 0, 0, side, side }, small = { 0, 0, 256, 256 };
	struct spb_draw *d =
			spb_draw_copy_create_at(data, stride, &big, big.x1, big.y1, 0);
	assert_non_null(d);
	assert_false(spb_draw_cache_image(d));
	assert_false(d->image.descriptor.flags & QXL_IMAGE_CACHE);
	spb_draw_destroy(d);
	d = spb_draw_copy_create_at(data, stride, &small, small.x1, small.y1, 0);
	assert_non_null(d);
	assert_true(spb_draw_cache_image(d));
	spb_draw_destroy(d);
	d = spb_draw_fill_create(&small, 0x123456, 0);
	assert_non_null(d);
	assert_false(spb_draw_cache_image(d));
	spb_draw_destroy(d);
	free(data);
}

int main(void) {
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_copy_create),
		cmocka_unit_test(test_surface_id_passed_through),
		cmocka_unit_test(test_edge_boxes),
		cmocka_unit_test(test_command_release_round_trip),
		cmocka_unit_test(test_distinct_draws),
		cmocka_unit_test(test_empty_box_rejected),
		cmocka_unit_test(test_cache_id),
		cmocka_unit_test(test_cache_size_limit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
